package io.coremanager.cli;

import io.coremanager.reservation.CpuReservations;
import io.coremanager.reservation.ReservationInfo;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code coremanager reservations}: which CPUs are held, by which process and thread, since when. */
@Command(name = "reservations", mixinStandardHelpOptions = true,
        header = "List CPU reservations: which CPUs are held, by which process and thread, since when.",
        description = {"Reads a lock folder of CpuReservations: by default this user's own, or --dir, or a "
            + "folder shared by all users (--shared)."})
final class ReservationsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true)
    Folder folder;

    static final class Folder {
        @Option(names = "--dir", paramLabel = "DIR", description = "A private lock folder.")
        Path dir;

        @Option(names = "--shared", paramLabel = "DIR", description = "A lock folder shared by all users.")
        Path shared;
    }

    @Override
    public Integer call() {
        Path chosen = folder == null ? null : folder.dir != null ? folder.dir : folder.shared;
        if (chosen != null && !Files.isDirectory(chosen)) {
            throw new Main.UsageException(chosen + ": no such folder");
        }
        CpuReservations reservations;
        try {
            reservations = chosen == null ? CpuReservations.defaultFolder()
                    : folder.shared != null ? CpuReservations.shared(chosen) : CpuReservations.privateFolder(chosen);
        } catch (IllegalStateException e) {
            throw new Main.UsageException(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        List<ReservationInfo> infos = reservations.list();
        out.println("lock folder " + reservations.folder());
        if (infos.isEmpty()) {
            out.println("no reservations");
        } else {
            out.printf("%5s  %-8s %8s  %-28s %-10s %s%n", "cpu", "state", "pid", "thread", "user", "since");
            for (ReservationInfo i : infos) {
                if (i.held()) {
                    String since = i.since() == null ? "-" : i.since() + " (" + age(i.since()) + " ago)";
                    out.printf("%5d  %-8s %8s  %-28s %-10s %s%n", i.cpu(), "held", i.pid() < 0 ? "?" : Long.toString(i.pid()),
                            truncate(i.thread(), 28), i.user(), since);
                } else {
                    out.printf("%5d  %-8s %8s  %-28s %-10s %s%n", i.cpu(), "free", "-", "-", i.user(), "-");
                }
            }
        }
        out.flush();
        return 0;
    }

    private static String age(Instant since) {
        Duration d = Duration.between(since, Instant.now());
        return d.toHours() > 0 ? d.toHours() + " h" : d.toMinutes() > 0 ? d.toMinutes() + " min" : d.toSeconds() + " s";
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
