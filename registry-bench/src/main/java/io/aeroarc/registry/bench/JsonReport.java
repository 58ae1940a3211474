package io.aeroarc.registry.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSerializer;
import io.aeroarc.registry.core.GoDurations;
import java.time.Duration;

/** {@code report.json}: the same figures as the markdown, for tools and for comparing runs. */
final class JsonReport {

    private JsonReport() {}

    static Gson gson() {
        return new GsonBuilder()
                .setPrettyPrinting()
                .serializeSpecialFloatingPointValues()
                .registerTypeAdapter(Duration.class, (JsonSerializer<Duration>) (duration, type, context) ->
                        new JsonPrimitive(GoDurations.format(duration)))
                .create();
    }

    static String render(SuiteReport report) {
        return gson().toJson(report);
    }
}
