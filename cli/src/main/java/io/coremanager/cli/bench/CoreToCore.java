package io.coremanager.cli.bench;

import io.coremanager.CpuSet;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The core-to-core latency matrix: for every pair of CPUs, a thread pinned to one bounces a cache
 * line with a thread pinned to the other ({@link Floor}); the cell is the median round trip.
 * Cheap cells are CPUs that share a core or a cache; dear ones cross a die, a package or a NUMA
 * node.
 */
public final class CoreToCore {

    private final int[] cpus;
    private final double[][] nanos;

    private CoreToCore(int[] cpus, double[][] nanos) {
        this.cpus = cpus;
        this.nanos = nanos;
    }

    /** Measures every ordered pair of {@code cpus}; {@code progress} hears the fraction done. */
    public static CoreToCore measure(CpuSet cpus, long warmupMillis, long measureMillis, Sampler.Progress progress)
            throws Exception {
        int[] list = cpus.toArray();
        double[][] nanos = new double[list.length][list.length];
        int pairs = list.length * (list.length - 1);
        int done = 0;
        for (int i = 0; i < list.length; i++) {
            for (int j = 0; j < list.length; j++) {
                if (i == j) {
                    nanos[i][j] = Double.NaN;
                    continue;
                }
                int caller = list[i];
                int responder = list[j];
                int finished = done;
                nanos[i][j] = Pinned.call(caller, () -> {
                    try (Floor floor = new Floor(responder)) {
                        return Sampler.sample(floor::roundTrip, warmupMillis, measureMillis,
                                f -> progress.fraction((finished + f) / pairs)).median();
                    }
                });
                done++;
            }
        }
        progress.fraction(1);
        return new CoreToCore(list, nanos);
    }

    /** The matrix as text: rows are the caller's CPU, columns the responder's, nanoseconds. */
    public String table() {
        StringBuilder out = new StringBuilder("round trip (ns), median; row = caller cpu, column = responder cpu\n");
        out.append(String.format("%6s", ""));
        for (int cpu : cpus) {
            out.append(String.format("%6d", cpu));
        }
        out.append('\n');
        for (int i = 0; i < cpus.length; i++) {
            out.append(String.format("%6d", cpus[i]));
            for (int j = 0; j < cpus.length; j++) {
                out.append(Double.isNaN(nanos[i][j]) ? String.format("%6s", "-") : String.format("%6.0f", nanos[i][j]));
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** Writes the matrix as a heat map (green is near, red is far), with the Java's own ImageIO. */
    public void writePng(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int cell = Math.max(12, Math.min(40, 800 / Math.max(1, cpus.length)));
        int margin = 48;
        int size = margin + cell * cpus.length + 8;
        BufferedImage image = new BufferedImage(size, size + 24, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
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
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, Math.min(12, cell / 2))));
        for (int i = 0; i < cpus.length; i++) {
            g.setColor(Color.BLACK);
            g.drawString(Integer.toString(cpus[i]), 4, margin + i * cell + cell / 2 + 4);
            g.drawString(Integer.toString(cpus[i]), margin + i * cell + 2, margin - 6);
            for (int j = 0; j < cpus.length; j++) {
                double v = nanos[i][j];
                g.setColor(Double.isNaN(v) ? Color.LIGHT_GRAY : heat(max > min ? (v - min) / (max - min) : 0));
                g.fillRect(margin + j * cell, margin + i * cell, cell - 1, cell - 1);
            }
        }
        g.setColor(Color.BLACK);
        g.drawString(String.format("core-to-core round trip: %.0f ns (green) to %.0f ns (red)", min, max), 4, size + 16);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static Color heat(double t) {
        float hue = (float) ((1 - t) * 120 / 360); // 120° green to 0° red
        return Color.getHSBColor(hue, 0.75f, 0.9f);
    }
}
