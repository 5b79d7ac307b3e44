namespace FlowState.Lua.Interop;

/// <summary>A state API call from Lua that failed; its message becomes the Lua error the script sees.</summary>
internal sealed class LuaCallException : Exception
{
    public LuaCallException(string message)
        : base(message)
    {
    }

    public LuaCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LuaCallException()
    {
    }
}
