"""The CSV reader takes files as spreadsheets and other programs write them, and names the fix for the rest."""

import pytest

from backprop_lab.data.csv_file import read_table
from backprop_lab.data.tabular import CsvDataModule
from backprop_lab.errors import DataError


def test_quoted_fields_a_bom_and_semicolons_read_as_written(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('\ufeffname;note;label\n"Smith; J";"said ""hi""\nand left";1\nLee;plain;0\n'.encode())
    table = read_table(path)
    assert table.column_names == ["name", "note", "label"]
    assert table.column("name").to_pylist() == ["Smith; J", "Lee"]
    assert table.column("note").to_pylist()[0] == 'said "hi"\nand left'


def test_a_field_of_131073_characters_is_read_not_a_traceback(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f'a,text,label\n1,"{"x" * 131_073}",0\n2,short,1\n')
    assert len(read_table(path).column("text")[0].as_py()) == 131_073


def test_rows_of_the_wrong_width_are_listed_together(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n1,2,0\n1,2\n3,4,1\n5,6,7,8\n")
    with pytest.raises(DataError, match=r"2 row\(s\) do not have the header's 3 fields: line 3: 2 fields.*line 5: 4"):
        read_table(path)


def test_a_decode_error_names_the_file_the_byte_offset_and_the_encoding_setting(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("city,label\nZürich,1\nBern,0\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    assert "data.path=" in message and "latin.csv" in message and "byte offset 12" in message
    assert "data.encoding=" in message
    assert read_table(path, encoding="latin-1").column("city").to_pylist() == ["Zürich", "Bern"]


def test_missing_markers_and_extra_ones_are_null(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\nNA,?\n,x\nNaN,y\n")
    table = read_table(path, na_values=["?"])
    assert table.column("a").null_count == 3 and table.column("b").to_pylist() == [None, "x", "y"]


def test_decimal_commas_are_named_with_the_setting_that_reads_them(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b;label\n1,5;2;0\n2,25;3;1\n3;4;0\n")
    with pytest.raises(
        DataError, match="Column 'a' holds numbers written with a decimal comma, such as '1,5' on line 2"
    ):
        CsvDataModule(path=str(path), target="label").setup()
    assert read_table(path, decimal=",").column("a").to_pylist() == [1.5, 2.25, 3.0]
