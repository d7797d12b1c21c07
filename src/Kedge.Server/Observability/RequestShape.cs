namespace Kedge.Server.Observability;

/// <summary>What a request's shape-dependent series of one route depend on: method and version (as label indexes), status, error type.</summary>
internal readonly record struct RequestShape(int Method, int Version, int StatusCode, string? ErrorType);
