package io.netwatcher.identity;

import java.util.Set;

/**
 * Which pods the agent reports, by namespace: those in {@code include} (every namespace when it
 * is empty) and not in {@code exclude}. Traffic of no pod (host processes, the node itself) is
 * reported unless an include list is given: who names namespaces asks for those pods only.
 */
public record NamespaceScope(Set<String> include, Set<String> exclude) {
    public static final NamespaceScope ALL = new NamespaceScope(Set.of(), Set.of());

    public NamespaceScope {
        include = Set.copyOf(include);
        exclude = Set.copyOf(exclude);
    }

    public boolean isAll() {
        return include.isEmpty() && exclude.isEmpty();
    }

    /** Whether a pod of this namespace (null: not a pod's) is reported. */
    public boolean admits(String namespace) {
        if (namespace == null) {
            return include.isEmpty();
        }
        return (include.isEmpty() || include.contains(namespace)) && !exclude.contains(namespace);
    }
}
