namespace FlowState.Lua;

/// <summary>
/// A Lua script failed: a syntax or runtime error, a value that cannot be JSON, a refused state operation, or a spent
/// budget (<see cref="Budget"/>). Nothing the script wrote since its last commit was stored.
/// </summary>
public class ScriptException : StateException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ScriptException()
        : base("A Lua script failed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    public ScriptException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    public ScriptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for the script <paramref name="chunkName"/>.</summary>
    /// <param name="message">What happened, where and how to fix it.</param>
    /// <param name="chunkName">The script's name in Lua messages (its file, or the name the host was given).</param>
    /// <param name="luaError">The Lua error message, as the script would see it.</param>
    /// <param name="budget">The budget the script ran out of, if any.</param>
    /// <param name="innerException">The state operation that failed, if that is what stopped the script.</param>
    public ScriptException(string message, string chunkName, string luaError, ScriptBudget budget, Exception? innerException = null)
        : base(message, innerException!)
    {
        ChunkName = chunkName;
        LuaError = luaError;
        Budget = budget;
    }

    /// <summary>The script's name in Lua messages.</summary>
    public string? ChunkName { get; }

    /// <summary>The Lua error message (with the script's line where Lua knows it).</summary>
    public string? LuaError { get; }

    /// <summary>The budget the script ran out of; <see cref="ScriptBudget.None"/> when it failed on its own.</summary>
    public ScriptBudget Budget { get; }
}
