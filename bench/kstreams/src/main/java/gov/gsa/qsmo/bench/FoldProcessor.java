package gov.gsa.qsmo.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Folds each accepted event into its fiscal-year, fiscal-quarter and UTC-day aggregates.
 *
 * <p>The input is keyed {@code qsmo|measure}, so every aggregate of a (QSMO, measure) lives in
 * the task of that key's partition: no repartition topic, one writer per aggregate, as in the
 * measures service. The three stores are keyed like the service's period documents: {@code
 * qsmo|measure|fiscal_year|FY2024}, {@code qsmo|measure|fiscal_quarter|FY2024 Q2}, {@code
 * qsmo|measure|day|2024-03-05}.
 */
final class FoldProcessor implements Processor<String, byte[], Void, Void> {
  static final String FISCAL_YEAR = "fiscal-year";
  static final String FISCAL_QUARTER = "fiscal-quarter";
  static final String DAY = "day";

  private static final JsonFactory JSON = new JsonFactory();

  private final AtomicLong rejected;
  private ProcessorContext<Void, Void> context;
  private KeyValueStore<String, Aggregate> years;
  private KeyValueStore<String, Aggregate> quarters;
  private KeyValueStore<String, Aggregate> days;

  FoldProcessor(AtomicLong rejected) {
    this.rejected = rejected;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    years = context.getStateStore(FISCAL_YEAR);
    quarters = context.getStateStore(FISCAL_QUARTER);
    days = context.getStateStore(DAY);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    Event event;
    try {
      event = parse(record.value());
    } catch (IOException | RuntimeException e) {
      // The service dead-letters such a record; the peer counts it and goes on.
      rejected.incrementAndGet();
      return;
    }
    long offset = context.recordMetadata().map(m -> m.offset()).orElse(-1L);
    OffsetDateTime utc = event.occurredAt.withOffsetSameInstant(ZoneOffset.UTC);
    LocalDate day = utc.toLocalDate();
    int month = day.getMonthValue();
    int fiscalYear = month >= 10 ? day.getYear() + 1 : day.getYear();
    int quarter = (month + 2) % 12 / 3 + 1;
    long micros = utc.toEpochSecond() * 1_000_000L + utc.getNano() / 1_000;
    String stream = event.qsmo + "|" + event.measure + "|";
    fold(years, stream + "fiscal_year|FY" + fiscalYear, event.value, micros, offset);
    fold(quarters, stream + "fiscal_quarter|FY" + fiscalYear + " Q" + quarter, event.value, micros, offset);
    fold(days, stream + "day|" + day, event.value, micros, offset);
  }

  private static void fold(
      KeyValueStore<String, Aggregate> store, String key, double value, long micros, long offset) {
    Aggregate aggregate = store.get(key);
    if (aggregate == null) {
      aggregate = new Aggregate();
    }
    aggregate.fold(value, micros, offset);
    store.put(key, aggregate);
  }

  private record Event(String qsmo, String measure, double value, OffsetDateTime occurredAt) {}

  /** The fields the aggregates need from an {@code AcceptedEvent} JSON value. */
  private static Event parse(byte[] json) throws IOException {
    String qsmo = null;
    String measure = null;
    Double value = null;
    OffsetDateTime occurredAt = null;
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("an event must be a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken token = parser.nextToken();
        switch (field) {
          case "qsmo" -> qsmo = parser.getText();
          case "measure" -> measure = parser.getText();
          case "value" -> {
            if (!token.isNumeric()) {
              throw new IOException("value must be a number");
            }
            value = parser.getDoubleValue();
          }
          case "occurred_at" -> occurredAt = OffsetDateTime.parse(parser.getText());
          default -> parser.skipChildren();
        }
      }
    }
    if (qsmo == null || measure == null || value == null || occurredAt == null) {
      throw new IOException("qsmo, measure, value and occurred_at are required");
    }
    return new Event(qsmo, measure, value, occurredAt);
  }
}
