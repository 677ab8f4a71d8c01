package io.coremanager.cli;

import io.coremanager.affinity.Affinity;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;

/** The {@code coremanager} command: its sub-commands, exit codes and error handling. */
@Command(name = "coremanager",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Run work on the CPU cores you choose: per-core lanes, core-affine virtual threads, topology.",
        subcommands = {CommandLine.HelpCommand.class, DemoCommand.class, TopologyCommand.class, BenchCommand.class,
            CheckCommand.class, ReservationsCommand.class, JitterCommand.class})
public final class Main implements Runnable {

    /** Exit code for a usage error: unknown command, bad option value, missing file. */
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and returns its exit code, without calling {@link System#exit}. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof UsageException usage) {
                line.getErr().println("coremanager: " + usage.getMessage());
                return USAGE;
            }
            throw e;
        });
        return cli.execute(args);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** One clear line, then a pointer to --help: never a stack trace for a user's mistake. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine line = e.getCommandLine();
        line.getErr().println("coremanager: " + e.getMessage());
        line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help' for more information.");
        return USAGE;
    }

    /** A user's mistake found while running a command: exit code 2 and the message, one line. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** {@code --version}: the CoreManager version, the JVM, and whether affinity works here. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "coremanager " + projectVersion(),
                "java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("java.home") + ")",
                "affinity: " + Affinity.unsupportedReason().map(r -> "unsupported: " + r)
                        .orElse("supported; this thread runs on cpu " + Affinity.currentCpu()
                                + ", may use cpus " + Affinity.get()),
            };
        }

        static String projectVersion() {
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                Properties p = new Properties();
                if (in != null) {
                    p.load(in);
                }
                return p.getProperty("version", "unknown");
            } catch (IOException e) {
                return "unknown";
            }
        }
    }
}
