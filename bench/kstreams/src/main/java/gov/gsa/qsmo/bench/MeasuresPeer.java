package gov.gsa.qsmo.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams peer of the measures service: per (QSMO, measure, fiscal year / fiscal
 * quarter / UTC day) count, exact sum, min, max and latest, exactly once, in RocksDB stores with
 * changelogs, queryable over HTTP.
 *
 * <p>Arguments ({@code --name value}): {@code --bootstrap}, {@code --topic}, {@code
 * --application-id}, {@code --state-dir}, {@code --port} (HTTP, on 127.0.0.1), {@code
 * --threads} (stream threads, default 1).
 *
 * <p>HTTP: {@code GET /count} answers {@code {"state": ..., "count": N, "keys": K, "rejected":
 * R}} where N is the sum of the counts over the fiscal-year store (every event is in exactly
 * one fiscal year); 503 while the store is not queryable. {@code GET /aggregate?key=K} answers
 * one aggregate ({@code K} like {@code cybersecurity|customer-satisfaction|fiscal_quarter|FY2026
 * Q1}); 404 if there is none.
 */
public final class MeasuresPeer {
  private MeasuresPeer() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = parseArgs(argv);
    String topic = required(args, "topic");
    AtomicLong rejected = new AtomicLong();

    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, required(args, "application-id"));
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, required(args, "bootstrap"));
    config.put(StreamsConfig.STATE_DIR_CONFIG, required(args, "state-dir"));
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, args.getOrDefault("threads", "1"));
    config.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    KafkaStreams streams = new KafkaStreams(topology(topic, rejected), config);
    HttpServer server = HttpServer.create(
        new InetSocketAddress("127.0.0.1", Integer.parseInt(required(args, "port"))), 16);
    server.createContext("/count", exchange -> count(exchange, streams, rejected));
    server.createContext("/aggregate", exchange -> aggregate(exchange, streams));

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop(0);
      streams.close(Duration.ofSeconds(20));
      stopped.countDown();
    }));
    streams.setUncaughtExceptionHandler(e -> {
      System.err.println("stream thread failed: " + e);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
          .StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.start();
    server.start();
    System.out.println("kstreams-peer: reading " + topic + ", HTTP on " + server.getAddress());
    stopped.await();
  }

  static Topology topology(String topic, AtomicLong rejected) {
    StreamsBuilder builder = new StreamsBuilder();
    for (String name : new String[] {FoldProcessor.FISCAL_YEAR, FoldProcessor.FISCAL_QUARTER, FoldProcessor.DAY}) {
      // RocksDB (the default persistent store), logged to a changelog topic (the default),
      // with the record cache in front of it, as the DSL's aggregations have it.
      builder.addStateStore(
          Stores.keyValueStoreBuilder(
                  Stores.persistentKeyValueStore(name), Serdes.String(), AggregateSerde.create())
              .withCachingEnabled());
    }
    builder.stream(topic, Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .process(
            () -> new FoldProcessor(rejected),
            FoldProcessor.FISCAL_YEAR,
            FoldProcessor.FISCAL_QUARTER,
            FoldProcessor.DAY);
    return builder.build();
  }

  private static ReadOnlyKeyValueStore<String, Aggregate> store(KafkaStreams streams, String name) {
    return streams.store(
        StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, Aggregate>keyValueStore()));
  }

  private static void count(HttpExchange exchange, KafkaStreams streams, AtomicLong rejected)
      throws IOException {
    try {
      long count = 0;
      long keys = 0;
      try (KeyValueIterator<String, Aggregate> all = store(streams, FoldProcessor.FISCAL_YEAR).all()) {
        while (all.hasNext()) {
          KeyValue<String, Aggregate> entry = all.next();
          count += entry.value.count;
          keys++;
        }
      }
      answer(exchange, 200, String.format(
          "{\"state\": \"%s\", \"count\": %d, \"keys\": %d, \"rejected\": %d}",
          streams.state(), count, keys, rejected.get()));
    } catch (InvalidStateStoreException e) {
      answer(exchange, 503, String.format(
          "{\"state\": \"%s\", \"error\": \"%s\"}", streams.state(), json(e.getMessage())));
    }
  }

  private static void aggregate(HttpExchange exchange, KafkaStreams streams) throws IOException {
    String query = exchange.getRequestURI().getRawQuery();
    if (query == null || !query.startsWith("key=")) {
      answer(exchange, 400, "{\"error\": \"give key=qsmo|measure|kind|label\"}");
      return;
    }
    String key = URLDecoder.decode(query.substring(4), StandardCharsets.UTF_8);
    String[] parts = key.split("\\|");
    String name = parts.length == 4 ? switch (parts[2]) {
      case "fiscal_year" -> FoldProcessor.FISCAL_YEAR;
      case "fiscal_quarter" -> FoldProcessor.FISCAL_QUARTER;
      case "day" -> FoldProcessor.DAY;
      default -> null;
    } : null;
    if (name == null) {
      answer(exchange, 400, "{\"error\": \"key must read qsmo|measure|fiscal_year|fiscal_quarter|day|label\"}");
      return;
    }
    try {
      Aggregate found = store(streams, name).get(key);
      if (found == null) {
        answer(exchange, 404, "{\"error\": \"no aggregate " + json(key) + "\"}");
        return;
      }
      answer(exchange, 200, String.format(
          "{\"key\": \"%s\", \"count\": %d, \"sum\": %s, \"sum_exact\": \"%s\", \"min\": %s, "
              + "\"max\": %s, \"latest\": {\"value\": %s, \"occurred_at_micros\": %d, \"offset\": %d}}",
          json(key), found.count, found.sumAsDouble(), found.sum.toPlainString(), found.min,
          found.max, found.latestValue, found.latestAtMicros, found.latestOffset));
    } catch (InvalidStateStoreException e) {
      answer(exchange, 503, "{\"error\": \"" + json(e.getMessage()) + "\"}");
    }
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String json(String text) {
    return text == null ? "" : text.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static Map<String, String> parseArgs(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value, got " + argv[i]);
      }
      args.put(argv[i].substring(2), argv[i + 1]);
    }
    return args;
  }

  private static String required(Map<String, String> args, String name) {
    String value = args.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing --" + name + " (see README.md)");
    }
    return value;
  }
}
