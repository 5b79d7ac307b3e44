using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>Helpers on <see cref="IStateReader"/> and <see cref="IStateStore"/>.</summary>
public static class StateReaderExtensions
{
    /// <summary>A view of <paramref name="reader"/> that can never write, not even after a cast.</summary>
    public static IStateReader AsReadOnly(this IStateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader as ReadOnlyStateReader ?? new ReadOnlyStateReader(reader);
    }

    /// <summary>A view of <paramref name="store"/> that reads and writes values of type <typeparamref name="T"/> only.</summary>
    public static TypedState<T> Typed<T>(this IStateStore store, JsonTypeInfo<T>? typeInfo = null) => new(store, typeInfo);
}
