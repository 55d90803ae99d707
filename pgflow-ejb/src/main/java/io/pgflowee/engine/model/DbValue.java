package io.pgflowee.engine.model;

/** An enum whose constants are stored in the database as {@link #dbValue()} (a text column with a CHECK). */
public interface DbValue {

    String dbValue();

    /** The constant stored as {@code value}; an unknown value is an error naming the column and the known values. */
    static <E extends Enum<E> & DbValue> E parse(Class<E> type, String column, String value) {
        if (value == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (e.dbValue().equals(value)) {
                return e;
            }
        }
        StringBuilder known = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            known.append(known.length() == 0 ? "" : ", ").append(e.dbValue());
        }
        throw new IllegalStateException("pgflow: " + column + " holds '" + value + "', which this server does not know (known: "
                + known + "); is the database schema newer than this server?");
    }
}
