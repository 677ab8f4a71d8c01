package io.coremanager.cli.bench;

import io.coremanager.CpuSet;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
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

    /**
     * Reads a matrix back from its {@link #table()} text (from another machine, say), to draw it.
     *
     * @throws IllegalArgumentException if the text is not such a table
     */
    public static CoreToCore parse(String text) {
        java.util.List<String> rows = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank() && line.trim().matches("[0-9 -]+")) {
                rows.add(line.trim());
            }
        }
        if (rows.size() < 3) {
            throw new IllegalArgumentException("not a core-to-core table: expected a header of cpus and a row per cpu");
        }
        int[] cpus = java.util.Arrays.stream(rows.getFirst().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        if (rows.size() - 1 != cpus.length) {
            throw new IllegalArgumentException("not a core-to-core table: " + cpus.length + " cpus in the header, "
                    + (rows.size() - 1) + " rows");
        }
        double[][] nanos = new double[cpus.length][cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            String[] cells = rows.get(i + 1).split("\\s+");
            if (cells.length != cpus.length + 1) {
                throw new IllegalArgumentException("row " + (i + 1) + " of the core-to-core table has "
                        + (cells.length - 1) + " cells (expected: " + cpus.length + ")");
            }
            for (int j = 0; j < cpus.length; j++) {
                nanos[i][j] = cells[j + 1].equals("-") ? Double.NaN : Double.parseDouble(cells[j + 1]);
            }
        }
        return new CoreToCore(cpus, nanos);
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
