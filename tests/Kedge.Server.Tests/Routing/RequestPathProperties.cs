using CsCheck;
using Kedge.Server.Routing;
using Kedge.Testing;

namespace Kedge.Server.Tests.Routing;

/// <summary>
/// The ambiguity check on generated raw paths, against what the backend can see: a path whose single percent-decoding
/// holds a separator or parameter character that kedge's own matching did not see as such (<c>;</c>, <c>\</c>, an
/// encoded <c>/</c>) is always flagged, whichever spelling (raw, upper- or lower-case escape) the caller chose.
/// </summary>
public sealed class RequestPathProperties
{
    // Path pieces, including every spelling of the characters that matter and harmless escapes around them.
    private static readonly Gen<string> Piece = Gen.OneOf(
        Gen.String[Gen.Char["abcxyz019-_~"], 1, 6],
        Gen.OneOf("/", "//", ".", "..", ";", "\\", "%3B", "%3b", "%5C", "%5c", "%2F", "%2f", "%2E", "%2e", "%41", "%25", "%253B", "%20"));

    private static readonly Gen<string> RawPath = Piece.Array[1, 10].Select(pieces => "/" + string.Concat(pieces));

    [Fact]
    public void Ambiguity_DecodedPathHoldsSemicolonBackslashOrEncodedSlash_Flagged()
    {
        RawPath.Sample(
            raw =>
            {
                var decodedOnce = Uri.UnescapeDataString(raw);
                var backendSeesSeparatorOrParameter = decodedOnce.Contains(';', StringComparison.Ordinal)
                    || decodedOnce.Contains('\\', StringComparison.Ordinal)
                    || raw.Contains("%2F", StringComparison.OrdinalIgnoreCase);
                if (backendSeesSeparatorOrParameter)
                {
                    Assert.NotNull(RequestPath.Ambiguity(raw));
                }
            },
            iter: PropertyRuns.Iterations(20_000));
    }

    [Fact]
    public void Ambiguity_PlainCharactersOnly_NeverFlagged()
    {
        Gen.String[Gen.Char["abcxyz019-_~/"], 0, 30].Select(p => "/" + p).Sample(
            raw => Assert.Null(RequestPath.Ambiguity(raw)),
            iter: PropertyRuns.Iterations(5_000));
    }
}
