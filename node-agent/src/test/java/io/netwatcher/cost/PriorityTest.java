package io.netwatcher.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriorityTest {
    @Test
    void niceIsField19OfStatEvenWithSpacesAndParenthesesInTheName(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("stat"), "4242 (nw (ring) buf) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0"
                + " 30 10 40 0 123 456 789\n");
        assertEquals(10, Priority.niceOf(dir));
    }

    @Test
    void theCurrentThreadsNiceIsReadable() throws Exception {
        int nice = Priority.niceOf(Path.of("/proc/thread-self"));
        assertEquals(true, nice >= -20 && nice <= 19);
    }

    @Test
    void niceOutsideItsRangeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Priority.lowerTo(20));
        assertThrows(IllegalArgumentException.class, () -> Priority.lowerTo(-1));
    }
}
