using Microsoft.Extensions.Configuration;

namespace FlowState;

/// <summary>
/// Reads FlowState settings from a configuration section with errors that name the key: what the builder's
/// <c>BindConfiguration</c> and the providers' <c>UseSqlite(section)</c>, <c>UseRedis(section)</c>, … use.
/// </summary>
public static class FlowStateConfiguration
{
    /// <summary>The value of <paramref name="key"/>, which must be there.</summary>
    /// <param name="section">The section.</param>
    /// <param name="key">The key within it.</param>
    /// <param name="what">What the value is, for the message (e.g. "the SQLite file").</param>
    /// <exception cref="ArgumentException">The key is missing or empty.</exception>
    public static string Required(IConfiguration section, string key, string what)
    {
        ArgumentNullException.ThrowIfNull(section);
        return section[key] is { Length: > 0 } text
            ? text
            : throw new ArgumentException($"Configuration '{PathOf(section, key)}' ({what}) is missing.", nameof(section));
    }

    /// <summary>
    /// Binds <paramref name="section"/> to a new <typeparamref name="T"/> with the configuration binder, refusing keys
    /// <typeparamref name="T"/> does not have (a typo such as <c>MaxEntrys</c> is an error, not a default).
    /// </summary>
    /// <param name="section">The section.</param>
    /// <param name="what">What the section configures, for the message (e.g. "the FlowState store").</param>
    /// <exception cref="ArgumentException">A key is unknown or a value does not convert; the message names the section and the keys it accepts.</exception>
    public static T Bind<T>(IConfiguration section, string what)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(section);
        try
        {
            return section.Get<T>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            var path = section is IConfigurationSection named ? named.Path : "(root)";
            throw new ArgumentException(
                $"Configuration section '{path}' ({what}) is not valid: {ex.Message.TrimEnd('.')}. Accepted keys: {string.Join(", ", KeysOf(typeof(T), string.Empty))}.",
                nameof(section),
                ex);
        }
    }

    // The keys a settings type accepts, nested sections as "Runner:History:MaxAge".
    private static IEnumerable<string> KeysOf(Type type, string prefix)
    {
        foreach (var property in type.GetProperties())
        {
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsClass && propertyType != typeof(string))
            {
                foreach (var nested in KeysOf(propertyType, prefix + property.Name + ":"))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return prefix + property.Name;
            }
        }
    }

    private static string PathOf(IConfiguration section, string key) => section is IConfigurationSection named ? $"{named.Path}:{key}" : key;
}
