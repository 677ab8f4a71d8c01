package io.coremanager.reservation;

import io.coremanager.CpuSet;
import io.coremanager.topology.CpuTopology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.Comparator;

/**
 * A lock folder: where {@link CpuReservation}s keep one lock file per CPU ({@code cpu-N.lock}).
 *
 * <p><b>Folders.</b> {@link #defaultFolder()} is private to the user: {@code $XDG_RUNTIME_DIR/coremanager}
 * where the session has one, else {@code <java.io.tmpdir>/coremanager-<user>}, created {@code rwx------}
 * and refused if another user owns it. Processes of one user exclude each other there. For
 * exclusion across users, give all of them one folder with {@link #shared(Path)}: a sticky,
 * world-writable folder ({@code rwxrwxrwt}, like {@code /tmp}) whose lock files are
 * {@code rw-rw-rw-}, so that another user's process can lock them (and OpenHFT's failure, a lock
 * file another user cannot open, does not happen), while the sticky bit keeps anyone from
 * deleting another's files.
 *
 * <p><b>Safety.</b> Lock files are opened with {@code O_NOFOLLOW}: a symbolic link planted where a
 * lock file belongs is refused, never followed. A folder that is a link, or (per-user) belongs to
 * another user, or (shared) is world-writable without the sticky bit, is refused with the reason.
 * Lock files are never deleted: deleting one while another process has it open would let two
 * processes hold "the" lock on two different files.
 *
 * <p><b>Locks.</b> Kernel record locks ({@code fcntl(F_SETLK)} through {@link FileChannel#tryLock()}):
 * released by the kernel when the holder closes the file or dies. A reservation never waits:
 * it succeeds at once or says who holds the CPU (pid, thread, since when).
 *
 * <p>Thread-safe.
 */
public final class CpuReservations {

    private static final Pattern LOCK_FILE = Pattern.compile("cpu-(\\d{1,6})\\.lock");
    /** Lock files held by this JVM, to the thread that holds each: the JVM cannot lock a file twice. */
    private static final Map<Path, String> HELD_HERE = new ConcurrentHashMap<>();
    /**
     * Guards every open of a lock file in this JVM. POSIX drops all of a process's locks on a file
     * when any descriptor of it is closed: this JVM must never open (and close) a second channel
     * on a file it holds, so a file in HELD_HERE is never opened again, checked under this lock.
     */
    private static final Object FILES = new Object();

    private final Path folder;
    private final boolean shared;

    private CpuReservations(Path folder, boolean shared) {
        this.folder = folder;
        this.shared = shared;
    }

    /**
     * The current user's own lock folder (see the class notes), created if needed.
     *
     * @return the user's lock folder
     * @throws IllegalStateException if it exists but is not safe to use (a link, another owner)
     */
    public static CpuReservations defaultFolder() {
        String user = System.getProperty("user.name", "unknown").replaceAll("[^A-Za-z0-9._-]", "_");
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime), LinkOption.NOFOLLOW_LINKS)
                ? Path.of(runtime).resolve("coremanager")
                : Path.of(System.getProperty("java.io.tmpdir")).resolve("coremanager-" + user);
        return privateFolder(base);
    }

    /**
     * A lock folder of this user at {@code folder}, created {@code rwx------} if missing.
     *
     * @param folder the lock folder
     * @return the lock folder
     * @throws IllegalStateException if it is not safe to use (a link, another owner, open to others)
     */
    public static CpuReservations privateFolder(Path folder) {
        Objects.requireNonNull(folder, "folder");
        Path dir = folder.toAbsolutePath().normalize();
        FolderSafety.preparePrivate(dir);
        return new CpuReservations(dir, false);
    }

    /**
     * A lock folder shared by every user of the host (see the class notes), created
     * {@code rwxrwxrwt} if missing.
     *
     * @param folder the lock folder
     * @return the shared lock folder
     * @throws IllegalStateException if it is not safe to share (a link, or world-writable without
     *     the sticky bit)
     */
    public static CpuReservations shared(Path folder) {
        Objects.requireNonNull(folder, "folder");
        Path dir = folder.toAbsolutePath().normalize();
        FolderSafety.prepareShared(dir);
        return new CpuReservations(dir, true);
    }

    /**
     * The lock folder.
     *
     * @return the lock folder
     */
    public Path folder() {
        return folder;
    }

    // ---------------------------------------------------------------- reserving

    /**
     * Reserves every CPU of {@code cpus}, all or none.
     *
     * @param cpus the CPUs to reserve
     * @return the reservation; close it to release the CPUs
     * @throws IllegalArgumentException if {@code cpus} is empty
     * @throws IllegalStateException if a CPU is held (naming its holder), or its lock file cannot
     *     be used (a planted link, permissions)
     */
    public CpuReservation reserve(CpuSet cpus) {
        Objects.requireNonNull(cpus, "cpus");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cpus: empty set (expected: at least one cpu to reserve)");
        }
        List<CpuReservation.Held> held = new ArrayList<>();
        for (int cpu : cpus.toArray()) { // ascending order: two reservers of overlapping sets cannot deadlock
            String problem = tryLock(cpu, cpus, held);
            if (problem != null) {
                release(held);
                throw new IllegalStateException("cannot reserve cpus " + cpus + ": " + problem);
            }
        }
        return new CpuReservation(this, cpus, held);
    }

    /**
     * Reserves every CPU of {@code cpus} if none is held; empty if one is.
     *
     * @param cpus the CPUs to reserve
     * @return the reservation, or empty if a CPU is held
     */
    public Optional<CpuReservation> tryReserve(CpuSet cpus) {
        try {
            return Optional.of(reserve(cpus));
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
    }

    /**
     * Reserves the lowest CPU of {@code candidates} that no one holds.
     *
     * @param candidates the CPUs to choose from
     * @return the reservation of the CPU
     * @throws IllegalStateException if every candidate is held (naming the holders)
     */
    public CpuReservation reserveAny(CpuSet candidates) {
        Objects.requireNonNull(candidates, "candidates");
        List<String> problems = new ArrayList<>();
        for (int cpu : candidates.toArray()) {
            List<CpuReservation.Held> held = new ArrayList<>();
            String problem = tryLock(cpu, CpuSet.of(cpu), held);
            if (problem == null) {
                return new CpuReservation(this, CpuSet.of(cpu), held);
            }
            problems.add(problem);
        }
        throw new IllegalStateException("no free cpu among " + candidates + ": " + String.join("; ", problems));
    }

    /**
     * Reserves the whole physical core of {@code cpu}: all its SMT siblings, so that no other
     * reserver's work shares the core's execution units with yours.
     *
     * @param cpu a CPU of the core
     * @param topology the topology that knows the core's siblings
     * @return the reservation of the core's CPUs
     * @throws IllegalArgumentException if the topology does not know {@code cpu}
     * @throws IllegalStateException if a sibling is held
     */
    public CpuReservation reserveCore(int cpu, CpuTopology topology) {
        CpuSet siblings = topology.siblingsOf(cpu);
        return reserve(siblings.isEmpty() ? CpuSet.of(cpu) : siblings);
    }

    /** Locks one CPU's file into {@code held}: null on success, else why not. */
    private String tryLock(int cpu, CpuSet all, List<CpuReservation.Held> held) {
        synchronized (FILES) {
            return tryLockGuarded(cpu, all, held);
        }
    }

    private String tryLockGuarded(int cpu, CpuSet all, List<CpuReservation.Held> held) {
        Path file = folder.resolve("cpu-" + cpu + ".lock");
        String here = HELD_HERE.get(file);
        if (here != null) {
            return "cpu " + cpu + " is reserved by this process (thread " + here + ")";
        }
        FileChannel channel;
        try {
            channel = open(file);
        } catch (IOException e) {
            return "cpu " + cpu + ": cannot use " + file + " (" + e.getMessage() + ")";
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            return "cpu " + cpu + " is reserved by this process";
        } catch (IOException e) {
            closeQuietly(channel);
            return "cpu " + cpu + ": cannot lock " + file + " (" + e.getMessage() + ")";
        }
        if (lock == null) {
            closeQuietly(channel);
            return "cpu " + cpu + " is reserved by " + describeHolder(readInfo(cpu, file, true));
        }
        String thread = Thread.currentThread().getName();
        HELD_HERE.put(file, thread);
        held.add(new CpuReservation.Held(cpu, file, channel, lock));
        writeInfo(channel, thread, all);
        return null;
    }

    private FileChannel open(Path file) throws IOException {
        if (Files.isSymbolicLink(file)) {
            throw new IOException("a symbolic link is planted there; it is not followed");
        }
        boolean existed = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
        if (!existed) {
            try {
                // Others of a shared folder must be able to lock it; a private one keeps it to us.
                Files.setAttribute(file, "unix:mode", shared ? 0666 : 0600, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | UnsupportedOperationException e) {
                // Not a POSIX file system: its own defaults apply.
            }
        }
        return channel;
    }

    private static void writeInfo(FileChannel channel, String thread, CpuSet cpus) {
        String info = "pid=" + ProcessHandle.current().pid() + "\nthread=" + thread.replace('\n', ' ')
                + "\nsince=" + Instant.now() + "\ncpus=" + cpus + "\n";
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(info.getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException e) {
            // The lock is what matters; the note for `coremanager reservations` is a courtesy.
        }
    }

    void release(List<CpuReservation.Held> held) {
        synchronized (FILES) {
            releaseGuarded(held);
        }
    }

    private static void releaseGuarded(List<CpuReservation.Held> held) {
        for (CpuReservation.Held h : held) {
            HELD_HERE.remove(h.file());
            try {
                h.lock().release();
            } catch (IOException e) {
                // closing the channel below releases it too
            }
            closeQuietly(h.channel());
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    // ---------------------------------------------------------------- listing

    /**
     * Every lock file of the folder, held or not, by CPU.
     *
     * @return every lock file of the folder, held or not, by CPU
     */
    public List<ReservationInfo> list() {
        List<ReservationInfo> infos = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path file : files) {
                Matcher m = LOCK_FILE.matcher(file.getFileName().toString());
                if (m.matches() && !Files.isSymbolicLink(file)) {
                    synchronized (FILES) {
                        infos.add(readInfo(Integer.parseInt(m.group(1)), file, false));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        infos.sort(Comparator.comparingInt(ReservationInfo::cpu));
        return infos;
    }

    /**
     * What a lock file says, and whether it is held now ({@code knownHeld}: we just failed to lock
     * it). Under {@link #FILES}; never opens a file this JVM holds.
     */
    private static ReservationInfo readInfo(int cpu, Path file, boolean knownHeld) {
        String here = HELD_HERE.get(file);
        if (here != null) {
            return new ReservationInfo(cpu, true, ProcessHandle.current().pid(), here, null,
                    System.getProperty("user.name", "?"));
        }
        boolean held = knownHeld;
        String text = "";
        String user = "?";
        try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            if (!held) {
                try {
                    FileLock probe = channel.tryLock(0, Long.MAX_VALUE, true);
                    if (probe == null) {
                        held = true;
                    } else {
                        probe.release();
                    }
                } catch (OverlappingFileLockException e) {
                    held = true;
                }
            }
            ByteBuffer buffer = ByteBuffer.allocate(512);
            channel.read(buffer, 0);
            text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            user = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException e) {
            // unreadable: another user's private file, say; report what we know
        }
        long pid = -1;
        String thread = "?";
        Instant since = null;
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            try {
                switch (key) {
                    case "pid" -> pid = Long.parseLong(value);
                    case "thread" -> thread = value;
                    case "since" -> since = Instant.parse(value);
                    default -> { }
                }
            } catch (RuntimeException e) {
                // a damaged note: keep what parsed
            }
        }
        return new ReservationInfo(cpu, held, pid, thread, since, user);
    }

    private static String describeHolder(ReservationInfo info) {
        String command = info.pid() < 0 ? "" : ProcessHandle.of(info.pid()).flatMap(p -> p.info().command())
                .map(c -> ", command " + c).orElse("");
        return (info.pid() >= 0 ? "pid " + info.pid() : "another process") + " (thread " + info.thread() + command
                + (info.since() == null ? "" : ", since " + info.since()) + ", user " + info.user() + ")";
    }

    @Override
    public String toString() {
        return "CpuReservations[" + folder + (shared ? ", shared" : "") + "]";
    }
}
