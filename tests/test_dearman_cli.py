"""`python -m simulator rate-dearman`, in process."""

from __future__ import annotations

import json

from simulator.cli import main

ARGS = ["rate-dearman", "--situation", "My landlord hasn't returned my deposit for two months.",
        "--goal", "Get the landlord to return my $900 deposit this week."]


def test_one_message_prints_the_documented_json(capsys):
    rc = main([*ARGS, "--partner-last", "I've been busy.", "--message",
               "I moved out on 1 March and the deposit was $900. Please transfer it by Friday.", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["describe", "express", "assert", "reinforce", "negotiate", "mindful", "confident", "rewrite",
                         "judging"]
    assert out["describe"]["rating"] == "strong" and out["assert"]["rating"] == "strong"
    assert out["mindful"]["rating"] in ("yes", "no") and out["rewrite"]


def test_a_file_of_json_lines_rates_each_and_reports_bad_lines(tmp_path, capsys):
    good = {"situation": "My friend owes me $50.", "goal": "Get my $50 back.", "message": "Please pay me the $50 by Friday."}
    path = tmp_path / "msgs.jsonl"
    path.write_text("\n".join([json.dumps(good), json.dumps({**good, "message": ""}), "{oops",
                               json.dumps({**good, "partner_last": "Later."})]) + "\n")
    rc = main(["rate-dearman", "--file", str(path), "--json"])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert rc == 1 and len(lines) == 2
    assert all(line["assert"]["rating"] == "strong" for line in lines)
    assert "line 2: The message is empty" in captured.err and "line 3:" in captured.err


def test_an_over_long_message_is_refused_with_a_clear_error(capsys):
    rc = main([*ARGS, "--message", "x" * 2001, "--json"])
    assert rc == 2
    assert "2,001 characters; the limit is 2,000" in capsys.readouterr().err
