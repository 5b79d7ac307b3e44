using FlowState.Streaming;

namespace FlowState.Redis;

/// <summary>Adds Redis's kinds of pipeline components to a <see cref="StreamComponentCatalog"/>.</summary>
public static class RedisStreamComponentCatalogExtensions
{
    /// <summary>
    /// Sources of <c>type: redis</c>: a Redis stream (<see cref="RedisStreamSource"/>) with <c>configuration</c> (a
    /// StackExchange.Redis configuration string) and <c>stream</c> (both required), <c>key_field</c>, <c>value_field</c>,
    /// <c>stop_at_end</c>.
    /// </summary>
    public static StreamComponentCatalog AddRedisStreamSource(this StreamComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.AddSource("redis", ["configuration", "stream", "key_field", "value_field", "stop_at_end"], (settings, name) =>
        {
            var configuration = settings.Text("configuration", required: true)!;
            var stream = settings.Text("stream", required: true)!;
            var keyField = settings.Text("key_field");
            var valueField = settings.Text("value_field");
            var stopAtEnd = settings.Flag("stop_at_end") ?? false;
            return () => new RedisStreamSource(name, configuration, stream) { KeyField = keyField, ValueField = valueField, StopAtEnd = stopAtEnd };
        });
    }
}
