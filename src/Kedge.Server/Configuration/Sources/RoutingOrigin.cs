namespace Kedge.Server.Configuration.Sources;

/// <summary>
/// Where a routing configuration came from, so one validator can name each error's source the way the user wrote it:
/// a native file's JSON path, an environment variable, or the Go file and its proto field path.
/// </summary>
internal abstract class RoutingOrigin
{
    /// <summary>Renders a key of the native model (<c>HttpRoutes:3:Backend</c>) as the user's source location.</summary>
    public abstract string Locate(string key);

    /// <summary>Keys rendered the way the configuration binder names them (<c>Kedge:HttpRoutes:3:Backend</c>): for options built in code.</summary>
    public static RoutingOrigin Section(string section) => new SectionOrigin(section);

    /// <summary>The key's segments (<c>HttpRoutes</c>, <c>3</c>, <c>Backend</c>).</summary>
    protected static string[] Segments(string key) => key.Length == 0 ? [] : key.Split(':');

    /// <summary>A JSON path (<c>$.Kedge.HttpRoutes[3].Backend</c>, or <c>http.routes[3]</c> under a root without <c>$</c>) of native segments under <paramref name="root"/>.</summary>
    protected static string JsonPath(string root, IEnumerable<string> segments)
    {
        var path = new System.Text.StringBuilder(root);
        foreach (var segment in segments)
        {
            if (segment.Length > 0 && segment.All(char.IsAsciiDigit))
            {
                path.Append('[').Append(segment).Append(']');
            }
            else
            {
                path.Append(path.Length == 0 ? string.Empty : ".").Append(segment);
            }
        }

        return path.ToString();
    }

    private sealed class SectionOrigin(string section) : RoutingOrigin
    {
        public override string Locate(string key) => key.Length == 0 ? section : $"{section}:{key}";
    }
}
