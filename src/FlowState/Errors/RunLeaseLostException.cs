namespace FlowState;

/// <summary>
/// A worker's lease on a flow run ended — it expired and another worker took the run over, or it was released — so
/// the write it fenced with that lease was refused (nothing of it is stored). Stop working on the run.
/// </summary>
public class RunLeaseLostException : StateConflictException
{
    /// <summary>Creates the exception.</summary>
    public RunLeaseLostException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RunLeaseLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RunLeaseLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
