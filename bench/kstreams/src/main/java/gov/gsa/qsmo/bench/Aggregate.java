package gov.gsa.qsmo.bench;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;

/**
 * Count, exact sum, min, max and latest of the events of one (QSMO, measure, period).
 *
 * <p>The same quantities as the measures service's {@code Summary} (shared/domain/summaries.py).
 * The sum is exact: every double is converted to its exact {@link BigDecimal} value and added
 * without rounding, as the service keeps the exact real total (a Shewchuk expansion); {@link
 * #sumAsDouble()} is that total correctly rounded. Latest is the event with the greatest
 * occurred_at, then the greatest offset, then the greater value (the service's {@code Latest}).
 */
final class Aggregate {
  long count;
  BigDecimal sum = BigDecimal.ZERO;
  double min = Double.NaN;
  double max = Double.NaN;
  double latestValue = Double.NaN;
  long latestAtMicros = Long.MIN_VALUE;
  long latestOffset = -1;

  /** Folds one event into this aggregate (in place). */
  void fold(double value, long occurredAtMicros, long offset) {
    if (count == 0 || value < min) {
      min = value;
    }
    if (count == 0 || value > max) {
      max = value;
    }
    count++;
    sum = sum.add(new BigDecimal(value));
    if (count == 1 || wins(occurredAtMicros, offset, value)) {
      latestValue = value;
      latestAtMicros = occurredAtMicros;
      latestOffset = offset;
    }
  }

  private boolean wins(long atMicros, long offset, double value) {
    if (atMicros != latestAtMicros) {
      return atMicros > latestAtMicros;
    }
    if (offset != latestOffset) {
      return offset > latestOffset;
    }
    return value > latestValue;
  }

  double sumAsDouble() {
    return sum.doubleValue();
  }

  byte[] toBytes() {
    byte[] unscaled = sum.unscaledValue().toByteArray();
    ByteBuffer buffer = ByteBuffer.allocate(6 * 8 + 4 + unscaled.length);
    buffer.putLong(count).putDouble(min).putDouble(max).putDouble(latestValue);
    buffer.putLong(latestAtMicros).putLong(latestOffset).putInt(sum.scale()).put(unscaled);
    return buffer.array();
  }

  static Aggregate fromBytes(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    Aggregate aggregate = new Aggregate();
    aggregate.count = buffer.getLong();
    aggregate.min = buffer.getDouble();
    aggregate.max = buffer.getDouble();
    aggregate.latestValue = buffer.getDouble();
    aggregate.latestAtMicros = buffer.getLong();
    aggregate.latestOffset = buffer.getLong();
    int scale = buffer.getInt();
    byte[] unscaled = new byte[buffer.remaining()];
    buffer.get(unscaled);
    aggregate.sum = new BigDecimal(new BigInteger(unscaled), scale);
    return aggregate;
  }
}
