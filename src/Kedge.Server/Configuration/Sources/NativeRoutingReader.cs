using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Kedge.Common.Text;
using Microsoft.Extensions.Configuration;

namespace Kedge.Server.Configuration.Sources;

/// <summary>
/// Reads the routing part of a native configuration (the <c>Kedge</c> section of a JSON file and/or <c>Kedge__*</c>
/// environment variables) and lists every problem at once, each at its location: JSON syntax with line and column,
/// duplicate keys, unknown keys and values of the wrong type. The configuration binder alone stops at the first problem
/// and names it in its own terms.
/// </summary>
internal static class NativeRoutingReader
{
    /// <summary>The JSON the configuration's JSON provider accepts: comments and trailing commas are allowed.</summary>
    private static readonly JsonDocumentOptions ProviderJson = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// Checks a native JSON file's syntax and duplicate keys (the configuration provider accepts neither, and its
    /// messages give no file position); adds an error per problem and returns whether there were none.
    /// </summary>
    public static bool CheckJson(string file, string text, List<string> errors)
    {
        try
        {
            using var document = JsonDocument.Parse(text, ProviderJson);
            var before = errors.Count;
            CheckDuplicates(file, document.RootElement, "$", errors);
            return errors.Count == before;
        }
        catch (JsonException ex)
        {
            errors.Add($"{file}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: is not valid JSON ({JsonSyntaxError.Reason(ex.Message)}); fix the syntax at that line and column (comments and trailing commas are allowed).");
            return false;
        }
    }

    /// <summary>
    /// Binds the routing keys of <paramref name="kedge"/> after checking each key and value against the model; returns
    /// <see langword="null"/> with every problem in <paramref name="errors"/>, located by <paramref name="origin"/>.
    /// </summary>
    public static KedgeServerOptions? Bind(IConfigurationSection kedge, RoutingOrigin origin, List<string> errors)
    {
        var before = errors.Count;
        var problems = new RoutingErrors(origin, errors);
        CheckObject(kedge, typeof(KedgeServerOptions), string.Empty, problems);
        if (errors.Count > before)
        {
            return null;
        }

        try
        {
            var options = new KedgeServerOptions();
            kedge.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
            return options;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // Not expected after the checks above; kept so a gap in them still gives an error rather than a crash.
            problems.Add(string.Empty, $"could not be read: {ex.GetBaseException().Message}");
            return null;
        }
    }

    private static void CheckDuplicates(string file, JsonElement element, string path, List<string> errors)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            // Configuration keys ignore case, so "Port" and "port" are the same key.
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in element.EnumerateObject())
            {
                var propertyPath = $"{path}.{property.Name}";
                if (!seen.Add(property.Name))
                {
                    errors.Add($"{file}: {propertyPath}: is given twice (keys ignore case); keep one.");
                }

                CheckDuplicates(file, property.Value, propertyPath, errors);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                CheckDuplicates(file, item, $"{path}[{index++}]", errors);
            }
        }
    }

    private static void CheckObject(IConfigurationSection section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, string key, RoutingErrors errors)
    {
        var properties = Settable(type);
        foreach (var child in section.GetChildren())
        {
            var childKey = key.Length == 0 ? child.Key : $"{key}:{child.Key}";
            var property = properties.FirstOrDefault(p => p.Name.Equals(child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                errors.Add(childKey, $"is not a setting here; remove it or use one of {string.Join(", ", properties.Select(p => p.Name))} (names ignore case).");
                continue;
            }

            CheckValue(child, property.PropertyType, childKey, errors);
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "The routing options are public types of this assembly, kept by the configuration binder.")]
    [UnconditionalSuppressMessage("Trimming", "IL2062", Justification = "The routing options are public types of this assembly, kept by the configuration binder.")]
    private static void CheckValue(IConfigurationSection section, Type type, string key, RoutingErrors errors)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var children = section.GetChildren().ToList();
        var value = section.Value;
        if (type == typeof(string) || type == typeof(int) || type == typeof(bool) || type.IsEnum)
        {
            if (children.Count > 0)
            {
                errors.Add(key, $"must be {Describe(type)}, not an object or a list.");
            }
            else if (!string.IsNullOrEmpty(value) && ScalarProblem(value, type) is { } problem)
            {
                errors.Add(key, problem);
            }

            return;
        }

        if (!string.IsNullOrEmpty(value))
        {
            errors.Add(key, $"must be {Describe(type)}, not the value '{value}'.");
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var item = type.GetGenericArguments()[0];
            foreach (var child in children)
            {
                var childKey = $"{key}:{child.Key}";
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add(childKey, $"is a key of an object, but {Leaf(key)} must be a list ([ ... ]).");
                    continue;
                }

                CheckValue(child, item, childKey, errors);
            }

            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            foreach (var child in children)
            {
                CheckValue(child, type.GetGenericArguments()[1], $"{key}:{child.Key}", errors);
            }

            return;
        }

        CheckObject(section, type, key, errors);
    }

    private static string? ScalarProblem(string value, Type type)
    {
        if (type == typeof(int) && !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return $"'{value}' is not a whole number; give one, for example 8080.";
        }

        if (type == typeof(bool) && !bool.TryParse(value, out _))
        {
            return $"'{value}' is not true or false.";
        }

        if (type.IsEnum && (!Enum.TryParse(type, value, ignoreCase: true, out var parsed) || !Enum.IsDefined(type, parsed!)))
        {
            return $"'{value}' is not one of {string.Join(", ", Enum.GetNames(type))}.";
        }

        return null;
    }

    private static string Describe(Type type) => type == typeof(string) ? "a string"
        : type == typeof(int) ? "a whole number"
        : type == typeof(bool) ? "true or false"
        : type.IsEnum ? $"one of {string.Join(", ", Enum.GetNames(type))}"
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? "a list ([ ... ])"
        : "an object ({ ... })";

    private static string Leaf(string key) => key[(key.LastIndexOf(':') + 1)..];

    /// <summary>The keys the binder sets: public properties with a public setter.</summary>
    private static PropertyInfo[] Settable([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
        => [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)];
}
