namespace Kedge.Common.Text;

/// <summary>
/// "Did you mean …?" for every name a user can mistype (kedge and winch flags, Kedge.Client configuration keys): the
/// closest known name by edit distance. Infrastructure shared by the kedge products.
/// </summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="given"/>, if it is within <paramref name="maxDistance"/> edits.</summary>
    /// <param name="given">What the user wrote.</param>
    /// <param name="candidates">The known names; the first of equally close ones wins.</param>
    /// <param name="maxDistance">The most edits (insertions, deletions, substitutions) a suggestion may be away.</param>
    /// <param name="ignoreCase">Whether case differences count as edits (configuration keys are case-insensitive, flags are not).</param>
    /// <returns>The closest candidate, or null when none is close enough.</returns>
    public static string? Closest(string given, IEnumerable<string> candidates, int maxDistance, bool ignoreCase = false)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(candidates);

        string? best = null;
        var bestDistance = maxDistance + 1;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(given, candidate, ignoreCase);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>The Levenshtein distance between two names.</summary>
    /// <param name="a">One name.</param>
    /// <param name="b">The other name.</param>
    /// <param name="ignoreCase">Whether case differences count as edits.</param>
    /// <returns>The number of single-character edits that turn one into the other.</returns>
    public static int EditDistance(string a, string b, bool ignoreCase = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (ignoreCase)
        {
            a = a.ToUpperInvariant();
            b = b.ToUpperInvariant();
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
