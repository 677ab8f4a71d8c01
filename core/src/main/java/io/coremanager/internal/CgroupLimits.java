package io.coremanager.internal;

import io.coremanager.CpuSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Arrays;

/**
 * What the process's control groups allow it: the cpuset (the CPUs it may ever run on) and the CPU
 * quota (how many CPUs' worth of time it gets per period), read from a file-system root holding
 * {@code proc/} and the cgroup mounts ({@code /} for the live machine, a snapshot folder otherwise).
 *
 * <p>cgroup v2: the {@code 0::/path} line of {@code proc/self/cgroup} under the {@code cgroup2}
 * mount, {@code cpuset.cpus.effective} and {@code cpu.max}. cgroup v1: the {@code cpuset} and
 * {@code cpu} hierarchies, {@code cpuset.effective_cpus} (else {@code cpuset.cpus}) and
 * {@code cpu.cfs_quota_us}/{@code cpu.cfs_period_us}; the legacy {@code cpuset} file system
 * ({@code cpus}) with {@code proc/self/cpuset}. A quota is the tightest along the path to the
 * hierarchy's root, since every ancestor's limit applies.
 *
 * @param cpuset the effective cpuset, or {@code null} when no cgroup says
 * @param quotaCpus the CPU quota in CPUs ({@code 1.5} = 150 ms per 100 ms), or {@code NaN} when
 *     unlimited or unknown
 * @param source where the cpuset came from, for messages, or {@code null}
 * @param warnings files that were present but unreadable or malformed
 */
public record CgroupLimits(CpuSet cpuset, double quotaCpus, String source, List<String> warnings) {

    /** Reads the limits below {@code root}; never throws for a missing or malformed file. */
    public static CgroupLimits read(Path root) {
        return new Reader(root).read();
    }

    /** Whether a CPU quota applies. */
    public boolean hasQuota() {
        return !Double.isNaN(quotaCpus);
    }

    private record Mount(Path point, String type, Set<String> options, String mountRoot) {
    }

    private record Membership(String controllers, String path) {
    }

    private static final class Reader {
        private final Path root;
        private final List<String> warnings = new ArrayList<>();
        private final List<Mount> mounts;
        private final List<Membership> memberships;

        Reader(Path root) {
            this.root = root;
            this.mounts = readMounts();
            this.memberships = readMemberships();
        }

        CgroupLimits read() {
            CpuSet cpuset = null;
            String source = null;
            for (Path dir : cpusetDirs()) {
                Path file = firstCpusetFile(dir);
                if (file == null) {
                    continue;
                }
                String text = SysFiles.readOptional(file);
                try {
                    if (text != null) {
                        cpuset = CpuSet.parse(text);
                        source = root.relativize(file).toString();
                        break;
                    }
                } catch (IllegalArgumentException e) {
                    warnings.add(root.relativize(file) + ": " + e.getMessage());
                }
            }
            return new CgroupLimits(cpuset, quota(), source, List.copyOf(warnings));
        }

        // ------------------------------------------------------------ cpuset

        private List<Path> cpusetDirs() {
            List<Path> dirs = new ArrayList<>();
            for (Membership m : memberships) {
                if (m.controllers().isEmpty()) {
                    for (Mount mount : mountsOfType("cgroup2")) {
                        dirs.add(resolve(mount, m.path()));
                    }
                } else if (hasController(m, "cpuset")) {
                    for (Mount mount : mountsOfType("cgroup")) {
                        if (mount.options().contains("cpuset")) {
                            dirs.add(resolve(mount, m.path()));
                        }
                    }
                }
            }
            String legacyPath = SysFiles.readOptional(root.resolve("proc/self/cpuset"));
            if (legacyPath != null) {
                for (Mount mount : mounts) {
                    if (mount.type().equals("cpuset")
                            || mount.type().equals("cgroup") && mount.options().contains("cpuset")) {
                        dirs.add(resolve(mount, legacyPath));
                    }
                }
            }
            return dirs;
        }

        /** The nearest cpuset file at or above {@code dir}, within its mount. */
        private static Path firstCpusetFile(Path dir) {
            String[] names = {"cpuset.cpus.effective", "cpuset.effective_cpus", "effective_cpus",
                    "cpuset.cpus", "cpus"};
            for (String name : names) {
                Path file = dir.resolve(name);
                if (Files.isRegularFile(file)) {
                    String text = SysFiles.readOptional(file);
                    // An empty v2 cpuset.cpus means "inherit": not an answer.
                    if (text != null && !(text.isEmpty() && name.equals("cpuset.cpus"))) {
                        return file;
                    }
                }
            }
            return null;
        }

        // ------------------------------------------------------------ quota

        private double quota() {
            double tightest = Double.NaN;
            for (Membership m : memberships) {
                if (m.controllers().isEmpty()) {
                    for (Mount mount : mountsOfType("cgroup2")) {
                        tightest = min(tightest, walkQuota(mount, resolve(mount, m.path()), true));
                    }
                } else if (hasController(m, "cpu")) {
                    for (Mount mount : mountsOfType("cgroup")) {
                        if (mount.options().contains("cpu")) {
                            tightest = min(tightest, walkQuota(mount, resolve(mount, m.path()), false));
                        }
                    }
                }
            }
            return tightest;
        }

        private double walkQuota(Mount mount, Path dir, boolean v2) {
            double tightest = Double.NaN;
            Path top = root.resolve(relative(mount.point()));
            for (Path d = dir; d != null && d.startsWith(top); d = d.getParent()) {
                tightest = min(tightest, v2 ? quotaV2(d) : quotaV1(d));
            }
            return tightest;
        }

        private double quotaV2(Path dir) {
            Path file = dir.resolve("cpu.max");
            String text = SysFiles.readOptional(file);
            if (text == null) {
                return Double.NaN;
            }
            String[] parts = text.split("\\s+");
            if (parts.length == 2 && parts[0].equals("max")) {
                return Double.NaN;
            }
            return parts.length == 2 ? ratio(file, parts[0], parts[1], text) : badQuota(file, text);
        }

        private double quotaV1(Path dir) {
            Path quotaFile = dir.resolve("cpu.cfs_quota_us");
            String quota = SysFiles.readOptional(quotaFile);
            String period = SysFiles.readOptional(dir.resolve("cpu.cfs_period_us"));
            if (quota == null || period == null || quota.equals("-1")) {
                return Double.NaN;
            }
            return ratio(quotaFile, quota, period, quota + " / " + period);
        }

        private double ratio(Path file, String quota, String period, String text) {
            try {
                long q = Long.parseLong(quota);
                long p = Long.parseLong(period);
                if (q > 0 && p > 0) {
                    return (double) q / p;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            return badQuota(file, text);
        }

        private double badQuota(Path file, String text) {
            warnings.add(root.relativize(file) + ": cannot read a quota from \""
                    + text.replace('\n', ' ') + "\" (expected: \"QUOTA PERIOD\" or \"max PERIOD\")");
            return Double.NaN;
        }

        private static double min(double a, double b) {
            if (Double.isNaN(a)) {
                return b;
            }
            return Double.isNaN(b) ? a : Math.min(a, b);
        }

        // ------------------------------------------------------------ mounts and memberships

        private List<Mount> mountsOfType(String type) {
            return mounts.stream().filter(m -> m.type().equals(type)).toList();
        }

        private static boolean hasController(Membership m, String controller) {
            for (String c : m.controllers().split(",")) {
                if (c.equals(controller)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * The folder of cgroup {@code path} in {@code mount}. Paths in {@code proc/self/cgroup} are
         * relative to the hierarchy's root, the mount may show a subtree of it (a container's
         * namespace): the mount's own root is taken off first, and when the result is missing, the
         * mount point itself (what a container sees as its cgroup) is the answer.
         */
        private Path resolve(Mount mount, String path) {
            Path point = root.resolve(relative(mount.point()));
            String inMount = path;
            if (!mount.mountRoot().equals("/") && (path.equals(mount.mountRoot())
                    || path.startsWith(mount.mountRoot() + "/"))) {
                inMount = path.substring(mount.mountRoot().length());
            }
            Path dir = point.resolve(relative(inMount)).normalize();
            return dir.startsWith(point) && Files.isDirectory(dir) ? dir : point;
        }

        private static String relative(String path) {
            String p = path;
            while (p.startsWith("/")) {
                p = p.substring(1);
            }
            return p;
        }

        private static String relative(Path path) {
            return relative(path.toString());
        }

        private List<Mount> readMounts() {
            List<Mount> result = new ArrayList<>();
            String mountinfo = readLines("proc/self/mountinfo");
            if (mountinfo != null) {
                for (String line : mountinfo.split("\n")) {
                    // id parent major:minor root point options [optional...] - type source superoptions
                    String[] f = line.trim().split("\\s+");
                    int dash = List.of(f).indexOf("-");
                    if (dash >= 6 && f.length > dash + 1) {
                        String superOptions = f.length > dash + 3 ? f[dash + 3] : "";
                        Set<String> options = Set.of(dedupe(superOptions.split(",")));
                        result.add(new Mount(Path.of(unescape(f[4])), f[dash + 1], options, unescape(f[3])));
                    }
                }
                return result;
            }
            String mountsFile = readLines("proc/mounts");
            if (mountsFile != null) {
                for (String line : mountsFile.split("\n")) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 4) {
                        result.add(new Mount(Path.of(unescape(f[1])), f[2], Set.of(dedupe(f[3].split(","))), "/"));
                    }
                }
            }
            return result;
        }

        private List<Membership> readMemberships() {
            List<Membership> result = new ArrayList<>();
            String text = readLines("proc/self/cgroup");
            if (text == null) {
                return result;
            }
            for (String line : text.split("\n")) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && f[2].startsWith("/")) {
                    result.add(new Membership(f[1], f[2].strip()));
                }
            }
            return result;
        }

        private String readLines(String relative) {
            Path file = root.resolve(relative);
            if (!Files.exists(file)) {
                return null;
            }
            try {
                return SysFiles.read(file);
            } catch (IOException e) {
                warnings.add(relative + ": " + e.getMessage());
                return null;
            }
        }

        private static String[] dedupe(String[] values) {
            return Arrays.stream(values).distinct().toArray(String[]::new);
        }

        /** Mount tables escape space, tab, newline and backslash as octal: {@code \040}. */
        private static String unescape(String s) {
            if (s.indexOf('\\') < 0) {
                return s;
            }
            StringBuilder out = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
