namespace Kedge.GoCompat.Jsonpb;

/// <summary>
/// Collects the errors of one Go kedge config source. Every message names the source, the JSON path and the fix,
/// because the whole list is shown at once at start-up.
/// </summary>
public sealed class GoConfigErrorSink
{
    private readonly List<string> _errors;

    /// <summary>Creates a sink that appends to <paramref name="errors"/>.</summary>
    /// <param name="source">What is being read, for example <c>director config</c>.</param>
    /// <param name="errors">The shared error list.</param>
    public GoConfigErrorSink(string source, List<string> errors)
    {
        Source = source;
        _errors = errors;
    }

    /// <summary>The source name every message starts with.</summary>
    internal string Source { get; }

    /// <summary>How many errors were added so far, by every sink sharing the list.</summary>
    public int Count => _errors.Count;

    /// <summary>Adds <c>"{source}: $.{path}: {problem}. {fix}"</c> (see <see cref="Locate"/>).</summary>
    public void Add(string path, string problem, string fix) => _errors.Add($"{Locate(Source, path)}: {problem}. {fix}");

    /// <summary>
    /// Where an error is, the one way every Go config error names it: <c>"{source}: $.{path}"</c>, the JSON path in the
    /// same <c>$.</c> form as kedge's native configuration errors (the path is left out when empty).
    /// </summary>
    /// <param name="source">The config source, for example <c>director.json (director config)</c>.</param>
    /// <param name="path">The path inside it, for example <c>http.routes[3].backend_name</c>; empty for the whole source.</param>
    /// <returns>The location.</returns>
    public static string Locate(string source, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Length == 0 ? source : $"{source}: $.{path}";
    }
}
