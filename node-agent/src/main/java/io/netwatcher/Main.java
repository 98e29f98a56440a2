package io.netwatcher;

import io.netwatcher.probe.ProbeConfig;
import io.netwatcher.probe.ProbeSet;

public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        try (ProbeSet p = ProbeSet.open(ProbeConfig.defaults())) {
            p.attachments().forEach(a -> System.out.println(a));
        }
    }
}
