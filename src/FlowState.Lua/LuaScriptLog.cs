using Microsoft.Extensions.Logging;

namespace FlowState.Lua;

/// <summary>Log messages of Lua scripting (source-generated).</summary>
internal static partial class LuaScriptLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Debug, Message = "Lua script {Chunk} conflicted on attempt {Attempt}; running it again on fresh state.")]
    public static partial void Conflicted(ILogger logger, Exception exception, string chunk, int attempt);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "Lua script {Chunk} failed (budget: {Budget}).")]
    public static partial void Failed(ILogger logger, Exception exception, string chunk, ScriptBudget budget);
}
