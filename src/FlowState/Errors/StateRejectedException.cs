namespace FlowState;

/// <summary>
/// A write (set, merge, delete or clear) was refused: an interceptor rejected it, or the store was opened read-only
/// (<see cref="IReadOnlyStateBackend"/>). Nothing was written.
/// </summary>
public class StateRejectedException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public StateRejectedException()
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public StateRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public StateRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
