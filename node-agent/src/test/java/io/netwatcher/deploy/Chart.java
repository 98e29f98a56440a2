package io.netwatcher.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The chart in helm/netwatcher, rendered by helm (helm-java) into fabric8 objects. */
public final class Chart {
    public static final String RELEASE = "netwatcher";
    public static final String NAMESPACE = "netwatcher";
    /** The Kubernetes version rendered for (helm template alone assumes 1.20). */
    public static final String KUBE_VERSION = "1.31.0";

    private Chart() {
    }

    /** The repository root (tests run in node-agent/). */
    public static Path root() {
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        return Files.isDirectory(here.resolve("helm")) ? here : here.getParent();
    }

    public static Path dir() {
        return root().resolve("helm/netwatcher");
    }

    /** helm template with these --set values (release "netwatcher" in namespace "netwatcher"). */
    public static String template(Map<String, Object> set) {
        TemplateCommand t = new Helm(dir()).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        set.forEach(t::set);
        return t.call();
    }

    public static List<HasMetadata> render(Map<String, Object> set) {
        return parse(template(set));
    }

    /** helm template with a values file of this YAML (for lists and fractions, which --set would turn into strings). */
    public static List<HasMetadata> renderValues(String valuesYaml) {
        try {
            Path f = Files.createTempFile("nw-values", ".yaml");
            try {
                Files.writeString(f, valuesYaml);
                return parse(new Helm(dir()).template().withName(RELEASE).withNamespace(NAMESPACE)
                        .withKubeVersion(KUBE_VERSION).withValuesFile(f).call());
            } finally {
                Files.delete(f);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The objects of a multi-document YAML stream (known kinds typed, others generic). */
    public static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
                continue;
            }
            Object o = Serialization.unmarshal(doc);
            if (o instanceof HasMetadata h) {
                out.add(h);
            } else {
                throw new AssertionError("not a Kubernetes object: " + doc);
            }
        }
        return out;
    }

    public static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    public static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = all(objects, type);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " objects of " + type.getSimpleName());
        }
        return found.get(0);
    }

    public static DaemonSet daemonSet(List<HasMetadata> objects) {
        return one(objects, DaemonSet.class);
    }

    /** The agent's options file from the rendered ConfigMap. */
    public static String agentArgs(List<HasMetadata> objects) {
        return all(objects, ConfigMap.class).stream().filter(c -> c.getData().containsKey("agent.args"))
                .findFirst().orElseThrow().getData().get("agent.args");
    }

    public static List<GenericKubernetesResource> generic(List<HasMetadata> objects, String kind) {
        return all(objects, GenericKubernetesResource.class).stream().filter(g -> g.getKind().equals(kind)).toList();
    }

    /** The capabilities the DaemonSet adds (the list the docs promise is enough). */
    public static List<String> addedCapabilities(List<HasMetadata> objects) {
        return daemonSet(objects).getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext()
                .getCapabilities().getAdd();
    }
}
