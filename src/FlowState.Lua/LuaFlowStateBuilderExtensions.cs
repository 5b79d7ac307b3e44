using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowState.Lua;

/// <summary>Adds Lua scripting to the FlowState services.</summary>
public static class LuaFlowStateBuilderExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="LuaScriptHost"/> on the registered <see cref="StateStore"/>, with
    /// <see cref="LuaScriptOptions"/> from <paramref name="configure"/> and any other options configuration.
    /// </summary>
    public static FlowStateBuilder AddLuaScripting(this FlowStateBuilder builder, Action<LuaScriptOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<LuaScriptOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddSingleton(provider => new LuaScriptHost(
            provider.GetRequiredService<StateStore>(),
            provider.GetRequiredService<IOptions<LuaScriptOptions>>(),
            provider.GetService<ILogger<LuaScriptHost>>() ?? NullLogger<LuaScriptHost>.Instance));
        return builder;
    }
}
