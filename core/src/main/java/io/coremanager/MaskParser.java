package io.coremanager;

/**
 * Reads the sysfs CPU mask format for {@link CpuSet#parseMask(String)}: comma-separated 32-bit hex
 * words, the most significant first. The first word has 1 to 8 digits, every later one exactly 8,
 * as the kernel's {@code bitmap_print_to_pagebuf} writes them.
 */
final class MaskParser {

    private static final String FORMAT = "32-bit hex words such as 00000000,0000ff0f";

    private MaskParser() {
    }

    static CpuSet parse(String input) {
        String text = input.strip();
        int offset = input.length() - input.stripLeading().length();
        if (text.isEmpty()) {
            return CpuSet.empty();
        }
        String[] words = text.split(",", -1);
        long[] bits = new long[(words.length + 1) / 2];
        int at = 0;
        for (int i = 0; i < words.length; i++) {
            String word = words[i];
            int expectedMin = i == 0 ? 1 : 8;
            if (word.length() < expectedMin || word.length() > 8) {
                throw error(input, offset + at, "word \"" + ListParser.printable(word) + "\" has "
                        + word.length() + " digits (expected: " + (i == 0 ? "1 to 8" : "8") + ")");
            }
            long value = 0;
            for (int j = 0; j < word.length(); j++) {
                int digit = Character.digit(word.charAt(j), 16);
                if (digit < 0) {
                    throw error(input, offset + at + j,
                            "expected a hex digit, found '" + ListParser.printable(String.valueOf(word.charAt(j))) + "'");
                }
                value = value << 4 | digit;
            }
            int word32 = words.length - 1 - i;
            if (value != 0 && word32 * 32L + 63 - Long.numberOfLeadingZeros(value) > CpuSet.MAX_CPU) {
                throw error(input, offset + at, "a cpu above the largest supported cpu " + CpuSet.MAX_CPU + " is set");
            }
            bits[word32 / 2] |= value << ((word32 & 1) * 32);
            at += word.length() + 1;
        }
        return CpuSet.fromWords(bits);
    }

    private static IllegalArgumentException error(String input, int at, String problem) {
        return new IllegalArgumentException("cpu mask \"" + ListParser.printable(input) + "\": " + problem
                + " at position " + at + " (expected: " + FORMAT + ")");
    }
}
