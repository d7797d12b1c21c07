using System.Collections;
using System.Reflection;

namespace Kedge.Client.Configuration;

/// <summary>
/// Whether two <see cref="KedgeClientOptions"/> say the same thing, value by value. A configuration reload fires for any
/// change anywhere in the application's configuration; when the client's settings are unchanged its connections are
/// kept. Objects built in code (a mapper, a token source) are equal only to themselves.
/// </summary>
internal static class KedgeClientOptionsEquality
{
    public static bool AreEqual(KedgeClientOptions a, KedgeClientOptions b) => ValuesEqual(a, b);

    private static bool ValuesEqual(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is null || b is null || a.GetType() != b.GetType())
        {
            return false;
        }

        return a switch
        {
            string or TimeSpan or Uri or Enum or bool or int or long or double => a.Equals(b),
            IDictionary dictionary => DictionariesEqual(dictionary, (IDictionary)b),
            IList list => ListsEqual(list, (IList)b),

            // The options classes themselves (they live beside this one): compared setting by setting, internal ones too.
            _ when a.GetType().Namespace == typeof(KedgeClientOptions).Namespace && a.GetType().Assembly == typeof(KedgeClientOptions).Assembly
                => a.GetType().GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                    .Where(p => p.GetIndexParameters().Length == 0)
                    .All(p => ValuesEqual(p.GetValue(a), p.GetValue(b))),
            _ => a.Equals(b),
        };
    }

    private static bool ListsEqual(IList a, IList b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!ValuesEqual(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool DictionariesEqual(IDictionary a, IDictionary b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (DictionaryEntry entry in a)
        {
            if (!b.Contains(entry.Key) || !ValuesEqual(entry.Value, b[entry.Key]))
            {
                return false;
            }
        }

        return true;
    }
}
