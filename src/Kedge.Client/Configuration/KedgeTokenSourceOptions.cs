using Kedge.Client.Tokens;

namespace Kedge.Client.Configuration;

/// <summary>A named token source: exactly one of <see cref="Value"/>, <see cref="File"/> or <see cref="Source"/>.</summary>
public sealed class KedgeTokenSourceOptions
{
    /// <summary>A static token.</summary>
    public string? Value { get; set; }

    /// <summary>A file holding the token (trimmed; re-read when it changes), for example a projected service-account token.</summary>
    public string? File { get; set; }

    /// <summary>A token source built in code, for example with <see cref="KedgeTokenSource.FromDelegate"/>.</summary>
    public KedgeTokenSource? Source { get; set; }
}
