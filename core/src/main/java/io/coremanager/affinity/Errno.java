package io.coremanager.affinity;

/** The errno values the affinity calls can report, by name; the numbers are Linux's generic ones. */
final class Errno {
    static final int EPERM = 1;
    static final int ESRCH = 3;
    static final int EFAULT = 14;
    static final int EINVAL = 22;

    private Errno() {
    }

    /** The symbolic name of {@code errno}, or {@code "errno N"} for one the affinity calls never give. */
    static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ESRCH -> "ESRCH";
            case 4 -> "EINTR";
            case 5 -> "EIO";
            case 12 -> "ENOMEM";
            case EFAULT -> "EFAULT";
            case 16 -> "EBUSY";
            case EINVAL -> "EINVAL";
            case 38 -> "ENOSYS";
            default -> "errno " + errno;
        };
    }

    /** What {@code errno} means for a sched_*affinity call, in words. */
    static String meaning(int errno) {
        return switch (errno) {
            case EPERM -> "not permitted to change that thread's affinity (another user's thread, "
                    + "or CAP_SYS_NICE is missing)";
            case ESRCH -> "no such thread";
            case EINVAL -> "no cpu of the set is online and allowed for this process";
            case EFAULT -> "bad mask address";
            default -> "the kernel refused the call";
        };
    }
}
