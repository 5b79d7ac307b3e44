using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowState.Flows;

/// <summary>
/// How a run field combines a value a post sets with the value it holds (LangGraph's reducers), declared with
/// <see cref="FlowBuilder.WithReducer"/>. Parallel branches and posts that set the field then add to it instead of the
/// last writer winning: the combination is computed on the committed value and checked at commit, so a branch that
/// committed first makes the other's post run again on the new value, and no contribution is lost.
/// </summary>
public sealed class FlowReducer
{
    private readonly Func<JsonNode?, JsonNode?, JsonNode?> _reduce;

    private FlowReducer(string name, Func<JsonNode?, JsonNode?, JsonNode?> reduce)
    {
        Name = name;
        _reduce = reduce;
    }

    /// <summary>The reducer's name, for messages.</summary>
    public string Name { get; }

    /// <summary>Appends to a list: an array set is concatenated to the field's array, any other value is added as one element.</summary>
    public static FlowReducer Append { get; } = new("append", static (current, update) =>
    {
        var list = current is JsonArray array ? array.DeepClone().AsArray() : current is null ? [] : new JsonArray(current.DeepClone());
        if (update is JsonArray items)
        {
            foreach (var item in items)
            {
                list.Add(item?.DeepClone());
            }
        }
        else
        {
            list.Add(update?.DeepClone());
        }

        return list;
    });

    /// <summary>Adds numbers: the field becomes its value plus the value set (an absent field counts as 0).</summary>
    public static FlowReducer Sum { get; } = new("sum", static (current, update) => JsonValue.Create(Number(current, "sum") + Number(update, "sum")));

    /// <summary>Keeps the larger number.</summary>
    public static FlowReducer Max { get; } = new("max", static (current, update) => current is null ? update?.DeepClone() : JsonValue.Create(Math.Max(Number(current, "max"), Number(update, "max"))));

    /// <summary>Keeps the smaller number.</summary>
    public static FlowReducer Min { get; } = new("min", static (current, update) => current is null ? update?.DeepClone() : JsonValue.Create(Math.Min(Number(current, "min"), Number(update, "min"))));

    /// <summary>Merges objects recursively: the value set's properties replace or extend the field's, nested objects are merged in turn.</summary>
    public static FlowReducer DeepMerge { get; } = new("deep merge", static (current, update) => Merge(current?.DeepClone(), update));

    /// <summary>A reducer of your own over typed values: <c>FlowReducer.Create&lt;int[]&gt;((all, some) =&gt; [.. all ?? [], .. some])</c>.</summary>
    /// <param name="reduce">Gets the field's value (default when absent) and the value set; returns the field's new value. It must not have side effects: it may run more than once.</param>
    /// <param name="options">How values are read and written (default: web defaults).</param>
    public static FlowReducer Create<T>(Func<T?, T, T> reduce, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reduce);
        options ??= JsonSerializerOptions.Web;
        return new FlowReducer(typeof(T).Name, (current, update) =>
            JsonSerializer.SerializeToNode(reduce(current is null ? default : current.Deserialize<T>(options), update.Deserialize<T>(options)!), options));
    }

    /// <summary>Combines UTF-8 JSON values; the engine's staged writes call it when a post sets the field.</summary>
    internal byte[] Reduce(ReadOnlyMemory<byte>? current, byte[] update, string key)
    {
        try
        {
            var result = _reduce(current is { } value ? JsonNode.Parse(value.Span) : null, JsonNode.Parse(update));
            return JsonSerializer.SerializeToUtf8Bytes(result);
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or FormatException)
        {
            throw new StateValueException($"The {Name} reducer of field '{key}' cannot combine its value with the one set: {ex.Message}", ex);
        }
    }

    private static double Number(JsonNode? node, string reducer) => node switch
    {
        null => 0,
        JsonValue value when value.TryGetValue<double>(out var number) => number,
        _ => throw new InvalidOperationException($"the {reducer} reducer needs numbers, not {node.ToJsonString()}"),
    };

    private static JsonNode? Merge(JsonNode? current, JsonNode? update)
    {
        if (current is not JsonObject target || update is not JsonObject patch)
        {
            return update?.DeepClone();
        }

        foreach (var (name, value) in patch)
        {
            target[name] = Merge(target[name]?.DeepClone(), value);
        }

        return target;
    }
}
