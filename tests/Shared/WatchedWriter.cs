using System.Text;
using System.Text.RegularExpressions;

namespace KvTiering.Testing;

/// <summary>A log a test can wait on: what other threads wrote so far, and a wait for a line matching a pattern.</summary>
internal sealed class WatchedWriter : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
            Monitor.PulseAll(_text);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
            Monitor.PulseAll(_text);
        }
    }

    /// <summary>Waits until a complete line matches <paramref name="pattern"/>.</summary>
    /// <exception cref="TimeoutException">None did within <paramref name="timeout"/>; the message holds what was written.</exception>
    public Match WaitFor(Regex pattern, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_text)
        {
            while (true)
            {
                foreach (string line in _text.ToString().Split('\n').SkipLast(1))
                {
                    Match match = pattern.Match(line);
                    if (match.Success)
                    {
                        return match;
                    }
                }

                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new TimeoutException($"No line matched '{pattern}' within {timeout}; written: {_text}");
                }

                Monitor.Wait(_text, TimeSpan.FromMilliseconds(left));
            }
        }
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }
}
