namespace Kedge.Server.Configuration.Sources;

/// <summary>Collects validation errors, each prefixed with its source location as <see cref="RoutingOrigin"/> renders it.</summary>
internal sealed class RoutingErrors(RoutingOrigin origin, List<string> errors)
{
    /// <summary>Adds <c>"{location}: {message}"</c> for the native key (<c>HttpRoutes:3:Backend</c>).</summary>
    public void Add(string key, string message) => errors.Add($"{origin.Locate(key)}: {message}");
}
