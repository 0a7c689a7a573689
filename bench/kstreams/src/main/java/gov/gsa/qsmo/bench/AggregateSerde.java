package gov.gsa.qsmo.bench;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** A compact binary serde for {@link Aggregate} (state stores and their changelogs). */
final class AggregateSerde {
  private AggregateSerde() {}

  static Serde<Aggregate> create() {
    Serializer<Aggregate> serializer =
        (topic, aggregate) -> aggregate == null ? null : aggregate.toBytes();
    Deserializer<Aggregate> deserializer =
        (topic, bytes) -> bytes == null ? null : Aggregate.fromBytes(bytes);
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
