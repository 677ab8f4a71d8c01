package io.coremanager.cli.bench;

import io.coremanager.topology.CpuTopology;
import io.coremanager.topology.MeasuredTopology;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The core-to-core latency matrix as a picture. The measuring, the table and its parser live in
 * core ({@link CpuTopology#measure}, {@link MeasuredTopology#table()},
 * {@link MeasuredTopology#parse}); this adds only the heat map, which needs AWT.
 */
public final class CoreToCore {

    private final int[] cpus;
    private final double[][] nanos;

    private CoreToCore(int[] cpus, double[][] nanos) {
        this.cpus = cpus;
        this.nanos = nanos;
    }

    /** The picture of {@code measured}'s matrix. */
    public static CoreToCore of(MeasuredTopology measured) {
        int[] list = measured.cpus().toArray();
        double[][] nanos = new double[list.length][list.length];
        for (int i = 0; i < list.length; i++) {
            for (int j = 0; j < list.length; j++) {
                nanos[i][j] = measured.roundTripNanos(list[i], list[j]);
            }
        }
        return new CoreToCore(list, nanos);
    }

    /**
     * Writes the matrix as a heat map (green is near, red is far) with the JDK's own ImageIO. Labels
     * are drawn with a built-in pixel font, so the image needs no system font: servers and
     * containers often have none.
     */
    public void writePng(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int cell = Math.max(12, Math.min(40, 800 / Math.max(1, cpus.length)));
        int margin = 40;
        int size = margin + cell * cpus.length + 8;
        BufferedImage image = new BufferedImage(size, size + 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        double min = Double.MAX_VALUE;
        double max = 0;
        for (double[] row : nanos) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        for (int i = 0; i < cpus.length; i++) {
            PixelDigits.draw(g, Integer.toString(cpus[i]), 4, margin + i * cell + cell / 2 - 5, 2);
            PixelDigits.draw(g, Integer.toString(cpus[i]), margin + i * cell + 2, margin - 14, 2);
            for (int j = 0; j < cpus.length; j++) {
                double v = nanos[i][j];
                g.setColor(Double.isNaN(v) ? Color.LIGHT_GRAY : heat(max > min ? (v - min) / (max - min) : 0));
                g.fillRect(margin + j * cell, margin + i * cell, cell - 1, cell - 1);
            }
        }
        // Legend: the scale from the fastest pair (green) to the slowest (red), in nanoseconds.
        int y = size + 8;
        for (int x = 0; x < 200; x++) {
            g.setColor(heat(x / 199.0));
            g.fillRect(margin + x, y, 1, 12);
        }
        PixelDigits.draw(g, String.format("%.0f", min), 4, y + 1, 2);
        PixelDigits.draw(g, String.format("%.0f", max), margin + 206, y + 1, 2);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    static Color heat(double t) {
        float hue = (float) ((1 - t) * 120 / 360); // 120° green to 0° red
        return Color.getHSBColor(hue, 0.75f, 0.9f);
    }
}
