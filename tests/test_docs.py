"""Every code block of README.md and docs/*.md runs, and shows what the code prints.

The mechanism, and how to regenerate what the pages show, is in tests/doc_blocks.py.
"""

import pytest

from tests import doc_blocks


@pytest.mark.parametrize("page", doc_blocks.PAGES, ids=lambda p: p.name)
def test_page_blocks_run_and_show_what_they_print(page):
    mismatches = doc_blocks.Page(page).run()
    assert not mismatches, (
        "\n\n".join(m.message for m in mismatches)
        + f"\n\nIf the code is right, regenerate the page: {doc_blocks.UPDATE_COMMAND} "
        f"{page.relative_to(doc_blocks.ROOT)} (and read the diff)"
    )
