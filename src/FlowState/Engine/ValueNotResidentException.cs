namespace FlowState;

/// <summary>
/// Thrown under the write lock, before anything changes, when a commit needs the value of a paged-out entry (a merge):
/// the write lock is never held across a backend read, so the commit reads it back after the lock and runs again.
/// Never leaves the engine.
/// </summary>
internal sealed class ValueNotResidentException : Exception
{
    public ValueNotResidentException()
    {
    }

    public ValueNotResidentException(string message)
        : base(message)
    {
    }

    public ValueNotResidentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ValueNotResidentException(StateEntry entry)
        : base($"The value of key '{entry.Key}' is paged out.") => Entry = entry;

    /// <summary>The entry whose value must be read back.</summary>
    public StateEntry? Entry { get; }
}
