package io.coremanager.reservation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Makes lock folders, and refuses ones that are not safe: see {@link CpuReservations}. */
final class FolderSafety {

    private static final int STICKY = 01000;
    private static final int GROUP_OR_OTHER_WRITE = 0022;

    private FolderSafety() {
    }

    static void preparePrivate(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            create(dir, 0700);
        }
        checkIsRealFolder(dir);
        String owner = owner(dir);
        String me = System.getProperty("user.name", "");
        if (!owner.equals(me)) {
            throw new IllegalStateException("lock folder " + dir + " belongs to " + owner + ", not to " + me
                    + ": refusing to use it (another user could forge or remove reservations); choose a folder of your own");
        }
        int mode = mode(dir);
        if (mode >= 0 && (mode & GROUP_OR_OTHER_WRITE) != 0) {
            throw new IllegalStateException("lock folder " + dir + " is writable by others (mode "
                    + Integer.toOctalString(mode & 07777) + "): refusing to use it; chmod 700 it, or use a shared folder");
        }
    }

    static void prepareShared(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            create(dir, 01777);
        }
        checkIsRealFolder(dir);
        int mode = mode(dir);
        if (mode >= 0 && (mode & 0002) != 0 && (mode & STICKY) == 0) {
            throw new IllegalStateException("shared lock folder " + dir + " is world-writable without the sticky bit (mode "
                    + Integer.toOctalString(mode & 07777) + "): anyone could delete another's lock files; chmod 1777 it");
        }
    }

    private static void create(Path dir, int mode) {
        try {
            Files.createDirectories(dir);
            Files.setAttribute(dir, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalStateException("cannot create lock folder " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    private static void checkIsRealFolder(Path dir) {
        if (Files.isSymbolicLink(dir)) {
            throw new IllegalStateException("lock folder " + dir + " is a symbolic link: refusing to follow it");
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException("lock folder " + dir + " is not a folder");
        }
    }

    private static String owner(Path dir) {
        try {
            return Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the owner of lock folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The POSIX mode bits, or -1 where the file system has none. */
    private static int mode(Path dir) {
        try {
            return (int) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }
}
