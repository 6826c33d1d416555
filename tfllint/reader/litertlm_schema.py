"""The LiteRT-LM file header schema as data: the tables tfllint reads to find the sections.

Source: google-ai-edge/LiteRT-LM@767d74f9acb02ef135b06e229929510232f9b850
schema/core/litertlm_header_schema.fbs (Apache-2.0), header version 1.1.0. Written by hand
in tools/gen_schema.py's format: the union VData's members other than StringValue are
structs, which the decoder leaves undecoded (member None), as tfllint needs none of them.
"""

SOURCE = ('google-ai-edge/LiteRT-LM@767d74f9acb02ef135b06e229929510232f9b850 '
          'schema/core/litertlm_header_schema.fbs (Apache-2.0)')

ENUMS = {'AnySectionDataType': {0: 'NONE', 1: 'GenericBinaryData', 2: 'Deprecated',
                                3: 'TFLiteModel', 4: 'SP_Tokenizer', 5: 'LlmMetadataProto',
                                6: 'HF_Tokenizer_Zlib'}}

ENUM_FORMATS = {'AnySectionDataType': 'B'}

UNIONS = {'VData': {9: 'StringValue'}}

# table -> fields in slot order: (name, kind, argument, default)
TABLES = {'StringValue': (('value', 'string', None, None),),
          'KeyValuePair': (('key', 'string', None, None),
                           ('value_type', 'union_type', 'VData', 0),
                           ('value', 'union', 'VData', None)),
          'SystemMetadata': (('entries', 'vector_table', 'KeyValuePair', None),),
          'SectionObject': (('items', 'vector_table', 'KeyValuePair', None),
                            ('begin_offset', 'scalar', 'Q', 0),
                            ('end_offset', 'scalar', 'Q', 0),
                            ('data_type', 'enum', ('AnySectionDataType', 'B'), 0)),
          'SectionMetadata': (('objects', 'vector_table', 'SectionObject', None),),
          'LiteRTLMMetaData': (('system_metadata', 'table', 'SystemMetadata', None),
                               ('section_metadata', 'table', 'SectionMetadata', None))}
