package io.netwatcher.bpf;

import com.sun.jna.Pointer;

/** An attachment of a program ({@code bpf_link}); closing it detaches the program. */
public final class BpfLink implements AutoCloseable {
    private final String program;
    private Pointer link;

    BpfLink(String program, Pointer link) {
        this.program = program;
        this.link = link;
    }

    public String program() {
        return program;
    }

    public synchronized boolean isAttached() {
        return link != null;
    }

    @Override
    public synchronized void close() {
        if (link != null) {
            int ret = LibBpf.bpf_link__destroy(link);
            link = null;
            if (ret < 0) {
                throw BpfException.negative("bpf_link__destroy(" + program + ")", ret);
            }
        }
    }
}
