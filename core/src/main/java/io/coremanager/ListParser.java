package io.coremanager;

/**
 * Reads the Linux CPU list format for {@link CpuSet#parse(String)}.
 *
 * <pre>
 * list   := "" | item ("," item)*
 * item   := cpu | cpu "-" cpu [ ":" used "/" group ]
 * </pre>
 * The strided form is the kernel's {@code bitmap_parselist}: within {@code first-last}, in each
 * group of {@code group} CPUs starting at {@code first}, the first {@code used} CPUs.
 * Every error names the input, the position (0-based, in the input as given) and what was expected.
 */
final class ListParser {

    private static final String FORMAT = "a cpu list such as 0-3,8,10-11";

    private final String input;
    private final String text;
    private final int offset;
    private int pos;

    ListParser(String input) {
        this.input = input;
        int start = 0;
        int end = input.length();
        while (start < end && Character.isWhitespace(input.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(input.charAt(end - 1))) {
            end--;
        }
        this.text = input.substring(start, end);
        this.offset = start;
    }

    CpuSet parse() {
        CpuSet.Builder builder = new CpuSet.Builder();
        if (text.isEmpty()) {
            return builder.build();
        }
        while (true) {
            item(builder);
            if (pos == text.length()) {
                return builder.build();
            }
            expect(',', "',' or the end of the list");
        }
    }

    private void item(CpuSet.Builder builder) {
        int itemStart = pos;
        int first = number();
        if (pos == text.length() || text.charAt(pos) != '-') {
            builder.add(first);
            return;
        }
        pos++;
        int last = number();
        if (first > last) {
            throw error(itemStart, "range " + first + "-" + last + " runs backwards (expected: first <= last)");
        }
        if (pos < text.length() && text.charAt(pos) == ':') {
            pos++;
            int strideStart = pos;
            int used = count();
            expect('/', "'/' between the used and group sizes of a strided range");
            int group = count();
            if (used > group) {
                throw error(strideStart, "stride " + used + "/" + group
                        + " uses more cpus than its group holds (expected: used <= group)");
            }
            for (int base = first; base <= last; base += group) {
                builder.addRange(base, Math.min(last, base + used - 1));
            }
        } else {
            builder.addRange(first, last);
        }
    }

    /** A CPU number: decimal digits, at most {@link CpuSet#MAX_CPU}. */
    private int number() {
        int start = pos;
        long value = digits("a cpu number");
        if (value > CpuSet.MAX_CPU) {
            throw error(start, "cpu " + text.substring(start, pos) + " is past the largest supported cpu "
                    + CpuSet.MAX_CPU);
        }
        return (int) value;
    }

    /** A positive count for the stride form. */
    private int count() {
        int start = pos;
        long value = digits("a positive count");
        if (value == 0 || value > CpuSet.MAX_CPU + 1L) {
            throw error(start, "count " + text.substring(start, pos) + " is out of range (expected: 1 to "
                    + (CpuSet.MAX_CPU + 1) + ")");
        }
        return (int) value;
    }

    private long digits(String what) {
        int start = pos;
        long value = 0;
        while (pos < text.length() && isDigit(text.charAt(pos))) {
            // Saturate rather than overflow: the caller reports any value this large as out of range.
            value = Math.min(value * 10 + (text.charAt(pos) - '0'), Integer.MAX_VALUE);
            pos++;
        }
        if (pos == start) {
            throw error(start, "expected " + what + ", found " + found(start));
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void expect(char c, String what) {
        if (pos == text.length() || text.charAt(pos) != c) {
            throw error(pos, "expected " + what + ", found " + found(pos));
        }
        pos++;
    }

    private String found(int at) {
        return at >= text.length() ? "the end of the input" : "'" + text.charAt(at) + "'";
    }

    private IllegalArgumentException error(int at, String problem) {
        return new IllegalArgumentException("cpu list \"" + printable(input) + "\": " + problem
                + " at position " + (offset + at) + " (expected: " + FORMAT + ")");
    }

    /** The input with control characters escaped so the message stays on one line. */
    static String printable(String s) {
        String limited = s.length() > 80 ? s.substring(0, 77) + "..." : s;
        StringBuilder out = new StringBuilder(limited.length());
        for (int i = 0; i < limited.length(); i++) {
            char c = limited.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '"' -> out.append("\\\"");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
