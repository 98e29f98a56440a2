package io.netwatcher.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ResourceVersionTest {
    @Test
    void numbersAreKeptAsLongsAndEverythingElseAsText() {
        assertEquals("123456", ResourceVersion.of("123456").toString());
        assertNull(ResourceVersion.of("123456").text());
        assertEquals("007", ResourceVersion.of("007").toString(), "leading zeros are not a plain number");
        assertEquals("abc-1", ResourceVersion.of("abc-1").toString());
        assertEquals("99999999999999999999", ResourceVersion.of("99999999999999999999").toString());
        assertNull(ResourceVersion.of(null).toString());
    }
}
