package io.coremanager.testing;

import io.coremanager.CpuSet;
import io.coremanager.reservation.CpuReservation;
import io.coremanager.reservation.CpuReservations;

import java.nio.file.Path;

/**
 * Reserves a CPU in a child JVM. Args: {@code private|shared|default} FOLDER CPU {@code hold|try}.
 * Prints {@code reserved} or {@code refused: <message>}; with {@code hold} it then prints
 * {@code holding} and waits to be killed.
 */
public final class ReservationProbe {

    private ReservationProbe() {
    }

    public static void main(String[] args) throws Exception {
        CpuReservations folder = switch (args[0]) {
            case "shared" -> CpuReservations.shared(Path.of(args[1]));
            case "default" -> CpuReservations.defaultFolder();
            default -> CpuReservations.privateFolder(Path.of(args[1]));
        };
        try {
            CpuReservation r = folder.reserve(CpuSet.of(Integer.parseInt(args[2])));
            System.out.println("reserved in " + folder.folder());
            if (args[3].equals("hold")) {
                System.out.println("holding");
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            r.close();
        } catch (IllegalStateException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }
}
