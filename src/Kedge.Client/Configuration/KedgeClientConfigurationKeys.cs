using System.Globalization;
using System.Reflection;
using Kedge.Common.Text;
using Microsoft.Extensions.Configuration;

namespace Kedge.Client.Configuration;

/// <summary>
/// Finds keys under the client's configuration section that no setting reads. The binder ignores them, so a typo such as
/// <c>KedgeCaFile</c> would otherwise leave the setting at its default and surface much later (as an untrusted kedge at
/// the first call). The settings are read from the options types themselves, so a new property is a known key at once.
/// </summary>
internal static class KedgeClientConfigurationKeys
{
    /// <summary>Adds an error for every key under <paramref name="section"/> that is not a setting, each with its path.</summary>
    public static void Check(IConfiguration section, string path, List<string> errors)
        => CheckSettings(section, path, typeof(KedgeClientOptions), errors);

    private static void CheckSettings(IConfiguration section, string path, Type type, List<string> errors)
    {
        var settings = Settings(type);
        foreach (var child in section.GetChildren())
        {
            var key = path + ":" + child.Key;
            if (!settings.TryGetValue(child.Key, out var property))
            {
                errors.Add(UnknownKey(key, child.Key, path, settings.Values));
            }
            else if (property.PropertyType is { IsClass: true, IsAbstract: true })
            {
                // A mapper or a token source is an object built in code; the binder cannot make one from text.
                errors.Add($"{key}: is set in code only ({type.Name}.{property.Name}), not in configuration.");
            }
            else
            {
                CheckValue(child, key, property.Name, property.PropertyType, errors);
            }
        }
    }

    private static void CheckValue(IConfigurationSection section, string path, string name, Type type, List<string> errors)
    {
        if (IsSingleValue(type))
        {
            foreach (var child in section.GetChildren())
            {
                errors.Add($"{path}:{child.Key}: {name} is a single value, not a section; for example \"{name}\": \"{Example(type)}\".");
            }
        }
        else if (section.Value is { Length: > 0 })
        {
            // The binder skips a single value where it expects a list or a section: "KedgeCaFiles": "/ca.crt" would
            // leave the list empty (the system roots) as silently as a misspelt key.
            var shape = CollectionElement(type, typeof(IList<>)) is not null ? $"a list: [ \"{section.Value}\" ]" : "a section: { … }";
            errors.Add($"{path}: {name} is {shape}, not a single value.");
        }
        else if (CollectionElement(type, typeof(IList<>)) is { } element)
        {
            foreach (var child in section.GetChildren())
            {
                if (int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    CheckValue(child, path + ":" + child.Key, name, element, errors);
                }
                else
                {
                    errors.Add($"{path}:{child.Key}: {name} is a list; its entries are numbered 0, 1, 2, … (a JSON array).");
                }
            }
        }
        else if (CollectionElement(type, typeof(IDictionary<,>)) is { } value)
        {
            // Any name is a key of a dictionary (a token source's name); what is under it is checked.
            foreach (var child in section.GetChildren())
            {
                CheckValue(child, path + ":" + child.Key, name, value, errors);
            }
        }
        else
        {
            CheckSettings(section, path, type, errors);
        }
    }

    private static string UnknownKey(string key, string given, string parentPath, IEnumerable<PropertyInfo> settings)
    {
        var names = settings.Where(p => p.PropertyType is not { IsClass: true, IsAbstract: true }).Select(p => p.Name).ToList();
        // Close enough to be a slip of the keyboard: a third of the name, at least two edits.
        var closest = Suggestions.Closest(given, names, Math.Max(2, given.Length / 3), ignoreCase: true);
        return closest is not null
            ? $"{key}: is not a Kedge.Client setting; did you mean '{parentPath}:{closest}'?"
            : $"{key}: is not a Kedge.Client setting; the settings under {parentPath} are {string.Join(", ", names)}.";
    }

    /// <summary>The public properties the binder sets (writable, or a collection it fills), by name in any case.</summary>
    private static Dictionary<string, PropertyInfo> Settings(Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true })
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    private static bool IsSingleValue(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(Uri) || type == typeof(decimal);
    }

    private static string Example(Type type)
        => (Nullable.GetUnderlyingType(type) ?? type) == typeof(TimeSpan) ? "00:00:10" : "…";

    /// <summary>The element type (lists) or value type (dictionaries) when <paramref name="type"/> is that collection.</summary>
    private static Type? CollectionElement(Type type, Type openInterface)
    {
        var match = type.IsGenericType && type.GetGenericTypeDefinition() == openInterface
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == openInterface);
        return match?.GetGenericArguments()[^1];
    }
}
