"""`tracker pending`: what is published but not released, released but not deployed; exit 0/1/2."""

from __future__ import annotations

from tests.support.cli import REGISTRY, Cli


def test_pending_marks_unreleased_and_undeployed_images_and_gates_ci(tracker: Cli) -> None:
    tracker.publish("v1")
    r1 = tracker.release()
    tracker("deploy", r1, "stage")
    found = tracker.json("pending", "prod", code=1)
    assert found["newest_release_id"] == r1 and found["environments"] == {"prod": None}
    assert [s["released_not_deployed"] for s in found["services"]] == [["prod"], ["prod"]]
    assert not any(s["published_not_released"] for s in found["services"])

    tracker.publish("v2", "hatching")
    every = tracker.json("pending", code=1)
    hatching = every["services"][0]
    assert hatching["service"] == "hatching" and hatching["published_not_released"] is True
    assert hatching["label_image"] == f"{REGISTRY}/hatching:v2"
    assert hatching["release_image"] == f"{REGISTRY}/hatching:v1"
    assert hatching["deployed"] == {"stage": f"{REGISTRY}/hatching:v1", "prod": None}
    assert hatching["released_not_deployed"] == ["prod"]
    text = tracker("pending", code=1).stdout
    assert f"  label latest     {REGISTRY}/hatching:v2  <- published, not released" in text
    assert "  prod             (nothing)  <- released, not deployed" in text
    assert text.rstrip().endswith("something waits to ship")

    r2 = tracker.release()
    tracker("deploy", r2, "stage")
    assert tracker.json("pending", "stage")["waiting"] is False  # exit 0
    assert tracker.json("pending", code=1)["waiting"] is True  # prod still waits
    tracker("promote", "stage", "prod")
    assert "nothing waits" in tracker("pending").stdout


def test_pending_errors_exit_2(tracker: Cli) -> None:
    result = tracker("pending", "qa", code=2)
    assert result.stderr.strip().splitlines() == [
        "tracker: error: environment 'qa' is not declared in the project manifest of 'bugfarm_73649' "
        f"({tracker.project_file}; declared: stage, prod)"
    ]
