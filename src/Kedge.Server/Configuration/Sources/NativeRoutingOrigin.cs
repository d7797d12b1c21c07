namespace Kedge.Server.Configuration.Sources;

/// <summary>
/// A native configuration: keys are shown as the JSON path in the file (<c>kedge.json: $.Kedge.HttpRoutes[3].Backend</c>),
/// or as the environment variable that set them (<c>Kedge__HttpRoutes__3__Backend</c>).
/// </summary>
internal sealed class NativeRoutingOrigin(string? file, Func<string, bool>? fromEnvironment) : RoutingOrigin
{
    /// <summary>The native file, or <see langword="null"/> when the configuration comes from the environment only.</summary>
    public string? File { get; } = file;

    public override string Locate(string key)
    {
        if (File is null || fromEnvironment?.Invoke(key) == true)
        {
            return "environment variable " + string.Join("__", ["Kedge", .. Segments(key)]);
        }

        return $"{File}: {JsonPath("$.Kedge", Segments(key))}";
    }
}
