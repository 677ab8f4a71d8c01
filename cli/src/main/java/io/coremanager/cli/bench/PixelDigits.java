package io.coremanager.cli.bench;

import java.awt.Color;
import java.awt.Graphics2D;

/** Digits drawn from a 3x5 bitmap: labels for images on machines that have no fonts installed. */
final class PixelDigits {

    /** Rows of each digit, 3 bits per row, most significant bit on the left. */
    private static final int[][] GLYPHS = {
        {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
        {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
    };

    private PixelDigits() {
    }

    /** Draws the digits of {@code text} (other characters leave a gap) at x, y, {@code scale} pixels per dot. */
    static void draw(Graphics2D g, String text, int x, int y, int scale) {
        g.setColor(Color.BLACK);
        for (int c = 0; c < text.length(); c++) {
            char ch = text.charAt(c);
            if (ch >= '0' && ch <= '9') {
                int[] rows = GLYPHS[ch - '0'];
                for (int row = 0; row < rows.length; row++) {
                    for (int col = 0; col < 3; col++) {
                        if ((rows[row] & (4 >> col)) != 0) {
                            g.fillRect(x + (c * 4 + col) * scale, y + row * scale, scale, scale);
                        }
                    }
                }
            }
        }
    }
}
