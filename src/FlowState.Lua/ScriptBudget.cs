namespace FlowState.Lua;

/// <summary>The budget a Lua script ran out of (see <see cref="LuaScriptOptions"/>).</summary>
public enum ScriptBudget
{
    /// <summary>No budget: the script failed on its own (a Lua error, a syntax error, a refused state operation).</summary>
    None,

    /// <summary>It ran more VM instructions than <see cref="LuaScriptOptions.MaxInstructions"/>.</summary>
    Instructions,

    /// <summary>It ran longer than <see cref="LuaScriptOptions.Timeout"/>.</summary>
    WallTime,

    /// <summary>It allocated more than <see cref="LuaScriptOptions.MaxMemoryBytes"/>.</summary>
    Memory,

    /// <summary>Its calls nested deeper than <see cref="LuaScriptOptions.MaxCallDepth"/>.</summary>
    CallDepth,
}
