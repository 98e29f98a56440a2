package io.netwatcher.kube;

/**
 * A resourceVersion kept compactly: API servers hand out decimal numbers (etcd revisions), kept as
 * a long; anything else (the value is opaque by contract) is kept as the string.
 */
record ResourceVersion(long number, String text) {
    static ResourceVersion of(String rv) {
        if (rv != null && !rv.isEmpty() && rv.length() < 19 && rv.chars().allMatch(Character::isDigit)
                && (rv.length() == 1 || rv.charAt(0) != '0')) {
            return new ResourceVersion(Long.parseLong(rv), null);
        }
        return new ResourceVersion(-1, rv);
    }

    @Override
    public String toString() {
        return text != null || number < 0 ? text : Long.toString(number);
    }
}
